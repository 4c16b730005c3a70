// Command eso-check makes the calls External Secrets Operator's Vault provider makes, in its order and with its
// checks, through OpenBao's Go API client, against a Vault-compatible address: log in with a Kubernetes ServiceAccount
// token, decide from auth/token/lookup-self whether the token is usable (type, ttl, expire_time), read a KV v2 secret
// (latest and by version) and its metadata, treat a 404 as "no secret", and revoke the token on the way out. It prints
// one line per check, "PASS <check>" or "FAIL <check>: <why>", and exits 1 if any failed. Written for Lanyard's tests
// (src/test/java/dev/lanyard/vaultapi/EsoProviderIT); it shares no code with ESO or Lanyard.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openbao/openbao/api/v2"
)

type checks struct {
	failed bool
}

func (c *checks) report(name string, err error) bool {
	if err != nil {
		c.failed = true
		fmt.Printf("FAIL %s: %v\n", name, err)
		return false
	}
	fmt.Printf("PASS %s\n", name)
	return true
}

func main() {
	address := flag.String("address", "", "the Vault address (VAULT_ADDR)")
	jwtFile := flag.String("jwt-file", "", "the ServiceAccount token to log in with")
	role := flag.String("role", "eso", "the role the login names")
	authPath := flag.String("auth-path", "kubernetes", "the Kubernetes auth mount")
	mount := flag.String("mount", "secret", "the KV v2 mount")
	key := flag.String("key", "", "the secret's path in the mount")
	property := flag.String("property", "", "the field to read")
	want := flag.String("want", "", "the field's expected current value")
	version := flag.String("version", "", "an older version to read")
	wantVersion := flag.String("want-version", "", "the field's expected value at that version")
	missing := flag.String("missing", "", "a path in the mount that holds no secret")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := &checks{}

	config := api.DefaultConfig()
	config.Address = *address
	client, err := api.NewClient(config)
	if !c.report("client", err) {
		os.Exit(1)
	}
	client.ClearToken()

	jwt, err := os.ReadFile(*jwtFile)
	if !c.report("read-jwt", err) {
		os.Exit(1)
	}
	login, err := client.Logical().WriteWithContext(ctx, "auth/"+*authPath+"/login", map[string]interface{}{
		"role": *role,
		"jwt":  strings.TrimSpace(string(jwt)),
	})
	if err == nil && (login == nil || login.Auth == nil || login.Auth.ClientToken == "") {
		err = errors.New("the login answered no auth.client_token")
	}
	if !c.report("kubernetes-login", err) {
		os.Exit(1)
	}
	client.SetToken(login.Auth.ClientToken)

	c.report("token-is-usable", tokenUsable(ctx, client))

	data, err := readSecret(ctx, client, *mount, *key, "")
	if err == nil && fmt.Sprint(data[*property]) != *want {
		err = fmt.Errorf("%s is %q, want %q", *property, data[*property], *want)
	}
	c.report("read-latest", err)

	if *version != "" {
		data, err = readSecret(ctx, client, *mount, *key, *version)
		if err == nil && fmt.Sprint(data[*property]) != *wantVersion {
			err = fmt.Errorf("%s at version %s is %q, want %q", *property, *version, data[*property], *wantVersion)
		}
		c.report("read-version", err)
	}

	c.report("read-metadata", readMetadata(ctx, client, *mount, *key))

	_, err = readSecret(ctx, client, *mount, *missing, "")
	if errors.Is(err, errNoSecret) {
		err = nil
	} else if err == nil {
		err = errors.New("a path holding no secret was read as a secret")
	}
	c.report("missing-is-no-secret", err)

	err = client.Auth().Token().RevokeSelfWithContext(ctx, "")
	if err == nil {
		if _, lookupErr := client.Auth().Token().LookupSelfWithContext(ctx); lookupErr == nil {
			err = errors.New("the token still works after revoke-self")
		}
	}
	c.report("revoke-self", err)

	if c.failed {
		os.Exit(1)
	}
}

// tokenUsable decides, as the provider does before reusing a token, whether lookup-self describes a usable one: not a
// batch token, a whole-number ttl, an expire_time that is RFC 3339 when present, and at least a minute left.
func tokenUsable(ctx context.Context, client *api.Client) error {
	self, err := client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return err
	}
	if self == nil {
		return errors.New("lookup-self answered nothing")
	}
	kind, ok := self.Data["type"].(string)
	if !ok {
		return errors.New("no token type")
	}
	if kind == "batch" {
		return errors.New("a batch token")
	}
	ttlValue, ok := self.Data["ttl"]
	if !ok {
		return errors.New("no ttl")
	}
	number, ok := ttlValue.(json.Number)
	if !ok {
		return fmt.Errorf("ttl is %T, not a number", ttlValue)
	}
	ttl, err := number.Int64()
	if err != nil {
		return fmt.Errorf("ttl %v: %w", ttlValue, err)
	}
	expire, ok := self.Data["expire_time"]
	if !ok {
		return errors.New("no expire_time")
	}
	if ttl < 60 && expire != nil {
		return fmt.Errorf("a token about to expire (ttl %d)", ttl)
	}
	if expire != nil {
		text, isText := expire.(string)
		if !isText {
			return fmt.Errorf("expire_time is %T", expire)
		}
		if _, err := time.Parse(time.RFC3339, text); err != nil {
			return fmt.Errorf("expire_time %q: %w", text, err)
		}
	}
	return nil
}

var errNoSecret = errors.New("no secret")

// readSecret reads <mount>/data/<key> (at a version when given) and returns the secret's fields, or errNoSecret.
func readSecret(ctx context.Context, client *api.Client, mount, key, version string) (map[string]interface{}, error) {
	var params map[string][]string
	if version != "" {
		params = map[string][]string{"version": {version}}
	}
	secret, err := client.Logical().ReadWithDataWithContext(ctx, mount+"/data/"+key, params)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		return nil, errNoSecret
	}
	inner, ok := secret.Data["data"]
	if !ok {
		return nil, errors.New("no data field in a KV v2 answer")
	}
	if inner == nil {
		return nil, errNoSecret
	}
	fields, ok := inner.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("data is %T, not an object", inner)
	}
	return fields, nil
}

// readMetadata reads <mount>/metadata/<key> and checks the fields the provider copies from it.
func readMetadata(ctx context.Context, client *api.Client, mount, key string) error {
	secret, err := client.Logical().ReadWithDataWithContext(ctx, mount+"/metadata/"+key, nil)
	if err != nil {
		return err
	}
	if secret == nil {
		return errors.New("no metadata for a secret that exists")
	}
	for _, field := range []string{"created_time", "current_version", "delete_version_after"} {
		if value, ok := secret.Data[field]; !ok || value == nil {
			return fmt.Errorf("no %s", field)
		}
	}
	if custom, ok := secret.Data["custom_metadata"]; ok && custom != nil {
		if _, isMap := custom.(map[string]interface{}); !isMap {
			return fmt.Errorf("custom_metadata is %T", custom)
		}
	}
	return nil
}
