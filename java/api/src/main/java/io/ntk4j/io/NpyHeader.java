package io.ntk4j.io;

import java.util.ArrayList;
import java.util.List;

/**
 * The header dictionary of a {@code .npy} array, parsed by its exact grammar (NumPy's format
 * description): a Python dict literal with exactly the keys {@code descr} (a string),
 * {@code fortran_order} ({@code True} or {@code False}) and {@code shape} (a tuple of ASCII
 * decimal integers: {@code ()}, {@code (3,)}, {@code (3, 6, 2)}), each once, in any order, an
 * optional trailing comma, and whitespace only as padding. Anything else ({@code (3L, 6L)},
 * {@code (3,, 6)}, {@code (3)}, non-ASCII digits, junk after the closing brace) is refused with the
 * reason, so that a file NumPy itself would not read is never read differently here. One parser for
 * {@link Npy} files and the arrays inside {@code .npz} archives.
 */
record NpyHeader(String descr, boolean fortranOrder, long[] shape) {
    /** Parses {@code text}; {@code where} prefixes every message (file, array). */
    static NpyHeader parse(String where, String text) {
        return new Parser(where, text).header();
    }

    private static final class Parser {
        private final String where;
        private final String s;
        private int i;

        Parser(String where, String s) {
            this.where = where;
            this.s = s;
        }

        private NpyFormatException error(String what) {
            String shown = s.strip();
            return new NpyFormatException(where + ": malformed .npy header (" + what + " at character " + i + "): "
                    + (shown.length() > 200 ? shown.substring(0, 200) + "..." : shown));
        }

        private void ws() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n')) {
                i++;
            }
        }

        private boolean take(char c) {
            ws();
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!take(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private String string() {
            ws();
            if (i >= s.length() || (s.charAt(i) != '\'' && s.charAt(i) != '"')) {
                throw error("expected a quoted string");
            }
            char q = s.charAt(i++);
            int start = i;
            while (i < s.length() && s.charAt(i) != q) {
                if (s.charAt(i) == '\\') {
                    throw error("escapes are not part of a .npy header");
                }
                i++;
            }
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            return s.substring(start, i++);
        }

        private boolean bool() {
            ws();
            if (s.startsWith("True", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return false;
            }
            throw error("fortran_order must be True or False");
        }

        private long integer() {
            ws();
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start) {
                throw error("expected a dimension (ASCII digits)");
            }
            if (i - start > 18) {
                throw error("dimension " + s.substring(start, i) + " is too large");
            }
            return Long.parseLong(s.substring(start, i));
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            if (take(')')) {
                return new long[0];
            }
            boolean comma;
            do {
                dims.add(integer());
                comma = take(',');
                if (take(')')) {
                    if (dims.size() == 1 && !comma) {
                        throw error("a one-dimensional shape is written (n,): (n) is not a tuple");
                    }
                    return dims.stream().mapToLong(Long::longValue).toArray();
                }
            } while (comma);
            throw error("expected ',' or ')' in the shape");
        }

        NpyHeader header() {
            expect('{');
            String descr = null;
            Boolean fortran = null;
            long[] shape = null;
            do {
                ws();
                if (i < s.length() && s.charAt(i) == '}') {
                    break; // a trailing comma before the closing brace
                }
                String key = string();
                expect(':');
                switch (key) {
                    case "descr" -> {
                        if (descr != null) {
                            throw error("key 'descr' given twice");
                        }
                        descr = string();
                    }
                    case "fortran_order" -> {
                        if (fortran != null) {
                            throw error("key 'fortran_order' given twice");
                        }
                        fortran = bool();
                    }
                    case "shape" -> {
                        if (shape != null) {
                            throw error("key 'shape' given twice");
                        }
                        shape = tuple();
                    }
                    default -> throw error("unknown key '" + key + "' (a .npy header has descr, fortran_order, shape)");
                }
            } while (take(','));
            expect('}');
            ws();
            if (i != s.length()) {
                throw error("unexpected characters after the closing brace");
            }
            if (descr == null || fortran == null || shape == null) {
                throw error("the keys descr, fortran_order and shape are all required");
            }
            return new NpyHeader(descr, fortran, shape);
        }
    }
}
