package dev.gale.cli;

import dev.gale.TestModels;
import dev.gale.gguf.GGMLType;
import dev.gale.gguf.GGUFException;
import dev.gale.model.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The model parsed in the background while the command line is parsed goes to the command that names it, once. */
class StartupTest {

    @Test
    void theModelNamedByTheCommandIsParsedOnceInTheBackground() throws IOException {
        Path file = TestModels.file(TestModels.tiny(GGMLType.Q4_0));
        Startup.begin(new String[] {"generate", "-p", "Hello", "-m", file.toString(), "-n", "3"});
        assertNull(Startup.take(file.resolveSibling("other.gguf")), "another file is not handed out");
        try (Model m = Startup.take(file); Model direct = Model.load(file)) {
            assertNotNull(m, "the parsed model");
            assertEquals(direct.config(), m.config());
            assertEquals(direct.vocabulary().size(), m.vocabulary().size());
        }
        assertNull(Startup.take(file), "handed out once: the command closes it");

        Startup.begin(new String[] {"bench", "--model=" + file, "-p", "8"});
        try (Model m = Startup.take(file)) {
            assertNotNull(m, "--model=FILE is recognised too");
        }

        Startup.begin(new String[] {"chat", "--model", file.toString()});
        try (Model m = Loading.open(file)) {
            assertEquals(TestModels.tiny(GGMLType.Q4_0).dim(), m.config().embeddingLength());
        }
        assertNull(Startup.take(file), "Loading took the parsed model");
    }

    @Test
    void otherCommandsAndFilesThatFailToParseAreLeftToTheCommand(@TempDir Path dir) throws IOException {
        Path file = TestModels.file(TestModels.tiny(GGMLType.Q4_0));
        Startup.begin(new String[] {"tokenize", "-m", file.toString(), "hello"});
        assertNull(Startup.take(file), "tokenize parses the model itself");

        Path bad = Files.write(dir.resolve("bad.gguf"), new byte[] {'N', 'O', 'P', 'E', 0, 0, 0, 0});
        Startup.begin(new String[] {"generate", "-m", bad.toString()});
        assertNull(Startup.take(bad), "a failed parse is not handed out");
        Startup.begin(new String[] {"generate", "-m", bad.toString()});
        GGUFException e = assertThrows(GGUFException.class, () -> Loading.open(bad));
        assertEquals(assertThrows(GGUFException.class, () -> Model.load(bad)).getMessage(), e.getMessage(),
                "the command reports the error as if it had parsed the file itself");
    }
}
