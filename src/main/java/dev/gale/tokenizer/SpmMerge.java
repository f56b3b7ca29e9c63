package dev.gale.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * One run of SentencePiece BPE over an escaped text fragment: start from single UTF-8 characters,
 * repeatedly merge the adjacent pair whose concatenation is the highest-scoring token (the leftmost
 * on ties), then emit each symbol's token. Every merge makes a token, so a symbol that is not a
 * token is a single character outside the vocabulary: it becomes its UTF-8 bytes' byte tokens.
 */
final class SpmMerge {
    private final String text;
    private final Map<String, Integer> ids;
    private final float[] scores;
    private final int[] byteTokens;
    // doubly-linked list of symbols over `text`
    private final int[] start;
    private final int[] length;
    private final int[] prev;
    private final int[] next;
    private final PriorityQueue<Bigram> queue = new PriorityQueue<>();

    private record Bigram(int left, int right, float score, int size) implements Comparable<Bigram> {
        @Override
        public int compareTo(Bigram o) {
            if (score != o.score) {
                return Float.compare(o.score, score); // higher score first
            }
            return Integer.compare(left, o.left);     // then leftmost
        }
    }

    SpmMerge(String text, Map<String, Integer> ids, float[] scores, int[] byteTokens) {
        this.text = text;
        this.ids = ids;
        this.scores = scores;
        this.byteTokens = byteTokens;
        int n = text.codePointCount(0, text.length());
        start = new int[n];
        length = new int[n];
        prev = new int[n];
        next = new int[n];
        int off = 0;
        for (int i = 0; i < n; i++) {
            int cp = text.codePointAt(off);
            start[i] = off;
            length[i] = Character.charCount(cp);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            off += length[i];
        }
    }

    void encode(List<Integer> out) {
        if (start.length == 0) {
            return;
        }
        for (int i = 1; i < start.length; i++) {
            tryBigram(i - 1, i);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (length[b.left] == 0 || length[b.right] == 0 || length[b.left] + length[b.right] != b.size) {
                continue; // one side was merged since this pair was queued
            }
            length[b.left] += length[b.right];
            length[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            tryBigram(prev[b.left], b.left);
            tryBigram(b.left, next[b.left]);
        }
        for (int i = 0; i != -1; i = next[i]) {
            resegment(text.substring(start[i], start[i] + length[i]), out);
        }
    }

    private void tryBigram(int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        String s = text.substring(start[left], start[right] + length[right]);
        Integer id = ids.get(s);
        if (id == null) {
            return;
        }
        queue.add(new Bigram(left, right, scores[id], s.length()));
    }

    private void resegment(String symbol, List<Integer> out) {
        Integer id = ids.get(symbol);
        if (id != null) {
            out.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            out.add(byteTokens[b & 0xFF]);
        }
    }
}
