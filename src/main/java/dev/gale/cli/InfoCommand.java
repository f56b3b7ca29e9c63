package dev.gale.cli;

import dev.gale.gguf.GGUFArray;
import dev.gale.gguf.GGUFFile;
import dev.gale.gguf.GGUFTensorInfo;
import dev.gale.gguf.GGUFValue;
import dev.gale.gguf.GGUFValueType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a GGUF file's metadata and tensors.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        try (GGUFFile f = GGUFFile.open(model.resolve())) {
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            out.printf("file: %s%nGGUF version %d, %d bytes, alignment %d, %d metadata keys, %d tensors%n%n",
                    f.path(), f.version(), f.fileSize(), f.alignment(), f.metadata().size(), f.tensors().size());
            out.println("metadata:");
            for (var e : f.metadata().entrySet()) {
                out.printf("  %-42s %s%n", e.getKey(), show(e.getValue()));
            }
            out.printf("%ntensors:%n  %-32s %-6s %-22s %12s%n", "name", "type", "shape", "bytes");
            long total = 0;
            for (GGUFTensorInfo t : f.tensors().values()) {
                out.printf("  %-32s %-6s %-22s %12d%n", t.name(), t.type(), Arrays.toString(t.dims()), t.byteSize());
                total += t.byteSize();
            }
            out.printf("  %-32s %-6s %-22s %12d%n", "total", "", "", total);
        }
        return 0;
    }

    private static String show(GGUFValue v) {
        if (v.type() != GGUFValueType.ARRAY) {
            String s = v.toString();
            return s.length() > 120 ? s.substring(0, 117).replace("\n", "\\n") + "..." : s.replace("\n", "\\n");
        }
        GGUFArray a = (GGUFArray) v.value();
        int n = a.length();
        return a.elementType() + "[" + n + "] " + a.preview(6);
    }
}
