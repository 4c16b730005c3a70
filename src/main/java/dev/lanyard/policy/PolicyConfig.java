package dev.lanyard.policy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithParentName;
import java.util.List;
import java.util.Map;

/**
 * Named policies: which subjects they apply to and what they allow.
 *
 * <pre>
 * lanyard.policy."payments".subjects=sa:payments/api,token:ci
 * lanyard.policy."payments".rules[0].paths=vault/database/creds/payments,vault/secret/payments/**
 * lanyard.policy."payments".rules[0].capabilities=read,issue,renew,revoke
 * </pre>
 *
 * Anything no rule allows is denied.
 */
@ConfigMapping(prefix = "lanyard.policy")
public interface PolicyConfig {

    @WithParentName
    Map<String, Policy> policies();

    interface Policy {
        /** Subjects bound to this policy: {@code token:<name>}, {@code sa:<namespace>/<name>}, {@code sa:<namespace>/*}. */
        List<String> subjects();

        /** What the policy allows. */
        List<Rule> rules();
    }

    interface Rule {
        /** Path globs ({@code *} within a segment, {@code **} across segments) over {@code <backend>/<path>}. */
        List<String> paths();

        /** Capabilities allowed on those paths: read, issue, renew, revoke, admin, audit:read, rotate. */
        List<String> capabilities();
    }
}
