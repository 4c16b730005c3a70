package dev.lanyard.rest;

/** Answer to a write: the id of the version it made current. */
public record WriteResponse(String version) {}
