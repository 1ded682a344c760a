/**
 * Not API: loading the native library (explicit path, java.library.path, the jar's own copy; ABI
 * check) and turning native status codes into typed exceptions. May change without notice.
 */
package io.ntk4j.internal;
