package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits text at the special tokens written in it, with the same result as llama.cpp's
 * {@code tokenizer_st_partition}.
 *
 * <p>Special tokens are the CONTROL, USER_DEFINED and UNKNOWN tokens. USER_DEFINED tokens are always
 * recognised; CONTROL and UNKNOWN tokens only when {@code parseSpecial} is set. llama.cpp takes the
 * special tokens one at a time, longest (in UTF-8 bytes) first, and cuts every occurrence of it, left
 * to right and without overlap, out of the text that earlier (longer) tokens left over. So a longer
 * token wins over a shorter one even when the shorter one starts earlier, and among tokens of one
 * length llama.cpp's order is unspecified (an unstable sort): Gale takes the lower id first.
 *
 * <p>Instead of searching the text once per special token (Mistral v0.3 has ~770), all occurrences of
 * all special tokens are found in one pass with a trie, then settled in llama.cpp's order.
 */
final class SpecialTokens {
    /** A special token found at {@code start} (a char index) covering {@code length} chars. */
    record Match(int start, int length, int id) {
    }

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>();
        int id = -1;
        int rank;
    }

    private final Node root = new Node();
    /** Characters a special token can start with. */
    private final BitSet firstChars = new BitSet(Character.MAX_VALUE + 1);
    /** Special token ids in llama.cpp's order: longest UTF-8 first, then lower id. */
    private final int[] order;
    private final String[] texts;
    private final boolean[] alwaysParsed;

    SpecialTokens(Vocabulary vocab) {
        int n = vocab.size();
        texts = new String[n];
        alwaysParsed = new boolean[n];
        List<Integer> ids = new ArrayList<>();
        int[] utf8Length = new int[n];
        for (int id = 0; id < n; id++) {
            int type = vocab.type(id);
            String text = vocab.piece(id);
            boolean special = type == Vocabulary.CONTROL || type == Vocabulary.USER_DEFINED
                    || type == Vocabulary.UNKNOWN;
            if (special && !text.isEmpty()) {
                ids.add(id);
                texts[id] = text;
                alwaysParsed[id] = type == Vocabulary.USER_DEFINED;
                utf8Length[id] = text.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        ids.sort((a, b) -> utf8Length[a] != utf8Length[b] ? Integer.compare(utf8Length[b], utf8Length[a])
                : Integer.compare(a, b));
        order = ids.stream().mapToInt(Integer::intValue).toArray();
        for (int r = 0; r < order.length; r++) {
            int id = order[r];
            String text = texts[id];
            firstChars.set(text.charAt(0));
            Node node = root;
            for (int i = 0; i < text.length(); i++) {
                node = node.children.computeIfAbsent(text.charAt(i), c -> new Node());
            }
            node.id = id; // texts are unique (the Tokenizer checks), so no node is claimed twice
            node.rank = r;
        }
    }

    /** Number of special tokens (of any kind) the vocabulary has. */
    int count() {
        return order.length;
    }

    /**
     * The special tokens llama.cpp would cut out of {@code text}, in text order.
     *
     * @param parseSpecial also recognise CONTROL and UNKNOWN tokens (USER_DEFINED ones always are)
     */
    List<Match> find(String text, boolean parseSpecial) {
        if (order.length == 0) {
            return List.of();
        }
        // 1. every occurrence of every eligible special token, as (rank << 32 | start)
        long[] found = new long[16];
        int nFound = 0;
        for (int start = 0; start < text.length(); start++) {
            if (!firstChars.get(text.charAt(start))) {
                continue;
            }
            Node node = root;
            for (int i = start; i < text.length(); i++) {
                node = node.children.get(text.charAt(i));
                if (node == null) {
                    break;
                }
                if (node.id >= 0 && (parseSpecial || alwaysParsed[node.id])) {
                    if (nFound == found.length) {
                        found = Arrays.copyOf(found, nFound * 2);
                    }
                    found[nFound++] = ((long) node.rank << 32) | start;
                }
            }
        }
        if (nFound == 0) {
            return List.of();
        }
        // 2. in llama.cpp's order (token by token, each left to right), keep the occurrences that lie
        //    wholly in text no earlier token took
        Arrays.sort(found, 0, nFound);
        BitSet taken = new BitSet(text.length());
        List<Match> matches = new ArrayList<>();
        for (int k = 0; k < nFound; k++) {
            int id = order[(int) (found[k] >>> 32)];
            int start = (int) found[k];
            int end = start + texts[id].length();
            if (free(taken, start, end)) {
                taken.set(start, end);
                matches.add(new Match(start, end - start, id));
            }
        }
        matches.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return matches;
    }

    /** Whether no bit in [from, to) is set; O(to - from), unlike nextSetBit, which may scan to the end. */
    private static boolean free(BitSet taken, int from, int to) {
        for (int i = from; i < to; i++) {
            if (taken.get(i)) {
                return false;
            }
        }
        return true;
    }
}
