/**
 * What backend implementations share without knowing each other: running a blocking client off the event loop
 * ({@link dev.lanyard.backend.BlockingCalls}) and parsing numbered version ids
 * ({@link dev.lanyard.backend.NumberedVersions}). Each backend lives in its own sub-package and depends on this
 * package and {@code spi}, never on another backend.
 */
package dev.lanyard.backend;
