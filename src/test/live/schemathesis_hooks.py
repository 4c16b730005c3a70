"""Schemathesis hooks for the live checks (LiveChecksProcessIT sets SCHEMATHESIS_HOOKS to this file).

One rule of the API lies between two parameters, and OpenAPI 3.1 can state a rule about one parameter only: a read
selects a version by `version` or by `stage`, not both (400 INVALID_QUERY; docs/api.md and the parameters'
descriptions in /q/openapi say so). Schemathesis would otherwise send both, valid one by one, and report the 400 as a
valid request rejected. Every other rule is in the document itself; nothing else is filtered here.
"""

import schemathesis


@schemathesis.hook
def filter_case(context, case):
    query = case.query or {}
    return not (query.get("version") and query.get("stage"))
