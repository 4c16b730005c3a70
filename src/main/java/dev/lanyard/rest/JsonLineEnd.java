package dev.lanyard.rest;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.WriterInterceptor;
import jakarta.ws.rs.ext.WriterInterceptorContext;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Ends every JSON answer (and problem) with a newline, so that {@code curl} output, shell pipelines and logs of
 * answers do not run into the next prompt or line. JSON allows trailing whitespace; parsers ignore it.
 */
@Provider
public class JsonLineEnd implements WriterInterceptor {

    @Override
    public void aroundWriteTo(WriterInterceptorContext context) throws IOException {
        MediaType type = context.getMediaType();
        if (type != null && (type.isCompatible(MediaType.APPLICATION_JSON_TYPE) || type.getSubtype().endsWith("+json"))) {
            // The JSON writer closes the stream when it is done: the newline goes in just before that.
            OutputStream body = context.getOutputStream();
            context.setOutputStream(new FilterOutputStream(body) {
                private boolean ended;

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    out.write(bytes, offset, length);
                }

                @Override
                public void close() throws IOException {
                    if (!ended) {
                        ended = true;
                        out.write('\n');
                    }
                    super.close();
                }
            });
            try {
                context.proceed();
            } finally {
                context.getOutputStream().close();
            }
            return;
        }
        context.proceed();
    }
}
