/**
 * The {@code ntk4j} command line (picocli): one class per subcommand over the library's services,
 * plus the report writers (HTML, PNG/SVG plots) and terminal progress bars.
 */
package io.ntk4j.cli;
