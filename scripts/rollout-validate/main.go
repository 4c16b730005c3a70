// Command rollout-validate checks Argo Rollouts objects in rendered manifests with Argo Rollouts' own
// validation, the code its controller runs before it acts on a Rollout: the CRD schema accepts many specs that
// the controller then refuses (a canary option that needs a traffic router, a step list it cannot run).
//
//	rollout-validate rendered.yaml...
//
// Give it one render at a time (or files that together make one): a workloadRef is resolved by namespace and
// name among all the files given.
// A Rollout with a workloadRef is validated with the referenced Deployment's pod template, as the controller
// does. AnalysisTemplates are checked with the same metric validation the controller applies to an analysis run.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/validation"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
	appsv1 "k8s.io/api/apps/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func main() {
	var rollouts []v1alpha1.Rollout
	var templates []v1alpha1.AnalysisTemplate
	deployments := map[string]appsv1.Deployment{}
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fail(err)
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fail(err)
			}
			var head object
			if err := yaml.Unmarshal(doc, &head); err != nil {
				fail(err)
			}
			switch head.Kind {
			case "Rollout":
				var r v1alpha1.Rollout
				mustStrict(doc, &r)
				rollouts = append(rollouts, r)
			case "AnalysisTemplate":
				var t v1alpha1.AnalysisTemplate
				mustStrict(doc, &t)
				templates = append(templates, t)
			case "Deployment":
				var d appsv1.Deployment
				mustStrict(doc, &d)
				deployments[d.Namespace+"/"+d.Name] = d
			}
		}
	}
	problems := 0
	for i := range rollouts {
		r := &rollouts[i]
		if ref := r.Spec.WorkloadRef; ref != nil {
			d, ok := deployments[r.Namespace+"/"+ref.Name]
			if !ok {
				report(&problems, "Rollout %s/%s: workloadRef names Deployment %s, which is not rendered", r.Namespace, r.Name, ref.Name)
				continue
			}
			// What the controller does while reconciling: the template comes from the reference.
			r.Spec.Template = d.Spec.Template
			r.Spec.TemplateResolvedFromRef = true
		}
		for _, e := range validation.ValidateRollout(r) {
			report(&problems, "Rollout %s/%s: %s", r.Namespace, r.Name, e.Error())
		}
	}
	for _, t := range templates {
		if err := analysisutil.ValidateMetrics(t.Spec.Metrics); err != nil {
			report(&problems, "AnalysisTemplate %s/%s: %v", t.Namespace, t.Name, err)
		}
	}
	fmt.Printf("rollout-validate: %d Rollouts and %d AnalysisTemplates checked, %d problems\n", len(rollouts), len(templates), problems)
	if problems > 0 || len(rollouts) == 0 {
		os.Exit(1)
	}
}

func mustStrict(doc []byte, into any) {
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		fail(err)
	}
}

func report(count *int, format string, args ...any) {
	*count++
	fmt.Printf("rollout-validate: "+format+"\n", args...)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rollout-validate:", err)
	os.Exit(2)
}
