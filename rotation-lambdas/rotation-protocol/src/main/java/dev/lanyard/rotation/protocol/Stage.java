package dev.lanyard.rotation.protocol;

/** The staging labels a rotation moves between the versions of a secret. */
public enum Stage {
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS
}
