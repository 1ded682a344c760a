package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * A report folder ({@code --report DIR}): JSON and CSV of every number, each plot as PNG and SVG,
 * and one self-contained {@code index.html} (the PNGs inlined as data URIs) with a table of the key
 * figures. Everything is written into a temporary sibling and moved into place whole, so a failed
 * run leaves no half-written report.
 */
final class Report {
    private final Path dir;
    private final Path tmp;
    private final String title;
    private final Map<String, String> keyFigures = new LinkedHashMap<>();
    private final List<String> plots = new ArrayList<>();
    private final List<String> files = new ArrayList<>();

    private Report(Path dir, Path tmp, String title) {
        this.dir = dir;
        this.tmp = tmp;
        this.title = title;
    }

    /** Starts a report for {@code dir}, which must not exist or be empty. */
    static Report create(Path dir, String title) {
        try {
            requireUsable(dir);
            Path parent = dir.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            return new Report(
                    dir, io.ntk4j.io.TemporaryFiles.createDirectory(parent, "." + dir.getFileName() + "."), title);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the report folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Refuses a report folder that exists and is not empty (also before a long run, so nothing is lost at its end). */
    static void requireUsable(Path dir) throws IOException {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new InvalidInputException(
                        "report folder " + dir + " exists and is not a folder: choose another --report");
            }
            try (var s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new InvalidInputException(
                            "report folder " + dir + " exists and is not empty: choose another --report");
                }
            }
        }
    }

    /** The staging folder, for files written by other code; register them with {@link #file}. */
    Path staging() {
        return tmp;
    }

    /** Lists a file (or folder) written into {@link #staging()} in the index. */
    Report file(String name) {
        files.add(name);
        return this;
    }

    /** A line of the key-figures table. */
    Report key(String name, String value) {
        keyFigures.put(name, value);
        return this;
    }

    Report json(String name, JsonNode node) {
        try {
            new ObjectMapper()
                    .writerWithDefaultPrettyPrinter()
                    .writeValue(tmp.resolve(name).toFile(), node);
            files.add(name);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CSV table: a header and rows of numbers or text (NaN written as empty). */
    Report csv(String name, String[] header, List<Object[]> rows) {
        StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
        for (Object[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                Object v = row[i];
                sb.append(i == 0 ? "" : ",").append(v instanceof Double d && d.isNaN() ? "" : String.valueOf(v));
            }
            sb.append('\n');
        }
        try {
            Files.writeString(tmp.resolve(name), sb.toString());
            files.add(name);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A chart with our style; add series, then {@link #plot}. */
    static XYChart chart(String title, String x, String y, boolean logY) {
        XYChart c = new XYChartBuilder()
                .width(900)
                .height(520)
                .title(title)
                .xAxisTitle(x)
                .yAxisTitle(y)
                .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setYAxisLogarithmic(logY);
        c.getStyler().setMarkerSize(5);
        return c;
    }

    /** Writes {@code name}.png and {@code name}.svg. */
    Report plot(String name, org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        try {
            BitmapEncoder.saveBitmap(chart, tmp.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(
                    chart, tmp.resolve(name).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            plots.add(name);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + name + ": " + e.getMessage(), e);
        }
    }

    /** Writes index.html and moves the folder into place. */
    void finish() {
        try {
            StringBuilder h = new StringBuilder();
            h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                    .append(esc(title))
                    .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:960px}"
                            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
                            + "img{max-width:100%;margin:1em 0;border:1px solid #eee}</style></head>\n<body>\n<h1>")
                    .append(esc(title))
                    .append("</h1>\n<table>\n");
            for (Map.Entry<String, String> e : keyFigures.entrySet()) {
                h.append("<tr><th>")
                        .append(esc(e.getKey()))
                        .append("</th><td>")
                        .append(esc(e.getValue()))
                        .append("</td></tr>\n");
            }
            h.append("</table>\n");
            for (String p : plots) {
                byte[] png = Files.readAllBytes(tmp.resolve(p + ".png"));
                h.append("<h2>")
                        .append(esc(p.replace('_', ' ')))
                        .append("</h2>\n<img class=\"plot\" alt=\"")
                        .append(esc(p))
                        .append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(png))
                        .append("\">\n<p><a href=\"")
                        .append(p)
                        .append(".svg\">SVG</a> · <a href=\"")
                        .append(p)
                        .append(".png\">PNG</a></p>\n");
            }
            h.append("<h2>Data</h2>\n<ul>\n");
            for (String f : files) {
                h.append("<li><a href=\"")
                        .append(f)
                        .append("\">")
                        .append(esc(f))
                        .append("</a></li>\n");
            }
            h.append("</ul>\n");
            // Marks how many plots rendered, for headless checks (document.body.dataset.imagesLoaded).
            h.append(
                    "<script>window.addEventListener('load',function(){var i=document.querySelectorAll('img.plot'),n=0;"
                            + "i.forEach(function(x){if(x.complete&&x.naturalWidth>0)n++;});document.body.dataset.imagesLoaded=n;"
                            + "document.body.dataset.images=i.length;});</script>\n</body></html>\n");
            Files.writeString(tmp.resolve("index.html"), h.toString(), StandardCharsets.UTF_8);
            if (Files.exists(dir)) {
                Files.delete(dir); // empty, checked in create
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            io.ntk4j.io.TemporaryFiles.done(tmp);
            try {
                Files.setPosixFilePermissions(
                        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not POSIX
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
