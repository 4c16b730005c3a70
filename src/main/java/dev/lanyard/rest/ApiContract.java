package dev.lanyard.rest;

import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;

/**
 * The OpenAPI document as the contract (mp.openapi.filter): what a request must look like, as the service checks it
 * ({@link RequestRules}), and every status each operation answers ({@link ProblemResponses}). Schemathesis holds the
 * running service to it with all its checks (LiveChecksProcessIT).
 */
public class ApiContract implements OASFilter {

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        RequestRules.describe(openAPI);
        ProblemResponses.describe(openAPI);
    }
}
