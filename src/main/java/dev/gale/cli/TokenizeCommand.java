package dev.gale.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gale.model.Model;
import dev.gale.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Show how a text is tokenized.")
final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "the text")
    String text;

    @Option(names = "--parse-special", description = "recognise control tokens such as [INST] in the text")
    boolean parseSpecial;

    @Option(names = "--no-bos", description = "do not add the BOS token")
    boolean noBos;

    @Option(names = "--format", defaultValue = "text", paramLabel = "text|json", description = "output format")
    String format;

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        try (Model m = Model.load(model.resolve())) {
            Tokenizer tok = new Tokenizer(m.vocabulary());
            int[] ids = tok.encode(text, !noBos, parseSpecial);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (format.equals("json")) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode o = mapper.createObjectNode();
                o.putPOJO("tokens", ids);
                var pieces = o.putArray("pieces");
                for (int id : ids) {
                    pieces.add(tok.piece(id));
                }
                out.println(mapper.writeValueAsString(o));
            } else if (format.equals("text")) {
                for (int id : ids) {
                    out.printf("%6d  %s%n", id, tok.piece(id));
                }
            } else {
                throw new IllegalArgumentException("--format must be text or json, found '" + format + "'");
            }
        }
        return 0;
    }
}
