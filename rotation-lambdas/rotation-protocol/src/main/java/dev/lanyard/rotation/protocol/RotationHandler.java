package dev.lanyard.rotation.protocol;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SecretsManagerRotationEvent;

/**
 * A rotation function's Lambda handler. Subclasses build their {@link RotationProtocol} in their constructor, which
 * Lambda runs once per execution environment during its init phase: the client and everything else that is slow
 * to make is made there, before the first event.
 */
public abstract class RotationHandler implements RequestHandler<SecretsManagerRotationEvent, Void> {
    private final RotationProtocol protocol;

    protected RotationHandler(RotationProtocol protocol) {
        this.protocol = protocol;
    }

    @Override
    public final Void handleRequest(SecretsManagerRotationEvent event, Context context) {
        protocol.handle(event, context == null ? null : context.getAwsRequestId());
        return null;
    }
}
