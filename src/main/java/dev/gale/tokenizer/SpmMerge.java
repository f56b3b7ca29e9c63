package dev.gale.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * One run of SentencePiece BPE over an escaped text fragment, as llama.cpp's
 * {@code llm_tokenizer_spm_session::tokenize}: start from single characters (code points), repeatedly
 * merge the adjacent pair whose concatenation is a token with the highest score (the leftmost pair on
 * ties), then emit each symbol's token. Every merge makes a token, so a symbol that is not a token is
 * a single character outside the vocabulary: it becomes its UTF-8 bytes' byte tokens.
 *
 * <p>Candidate pairs wait in a binary max-heap (score, then leftmost) kept in primitive arrays; a
 * pair made stale by an earlier merge is recognised when popped (as in llama.cpp), so a fragment of
 * n characters takes O(n log n).
 */
final class SpmMerge {
    private final String text;
    private final Map<String, Integer> ids;
    private final float[] scores;
    private final int[] byteTokens;
    // doubly-linked list of symbols over `text`: a symbol is text[start, start + length)
    private final int[] start;
    private final int[] length;
    private final int[] prev;
    private final int[] next;
    // the heap of candidate pairs: pair i is (left[i], right[i]) with score[i], merged length size[i]
    private float[] heapScore = new float[16];
    private int[] heapLeft = new int[16];
    private int[] heapRight = new int[16];
    private int[] heapSize = new int[16];
    private int heapCount;

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
            start[i] = off;
            length[i] = Character.charCount(text.codePointAt(off));
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            off += length[i];
        }
    }

    void encode(TokenBuffer out) {
        if (start.length == 0) {
            return;
        }
        for (int i = 1; i < start.length; i++) {
            tryPair(i - 1, i);
        }
        while (heapCount > 0) {
            int left = heapLeft[0];
            int right = heapRight[0];
            int size = heapSize[0];
            pop();
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != size) {
                continue; // one side was merged since this pair was queued
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            tryPair(prev[left], left);
            tryPair(left, next[left]);
        }
        for (int i = 0; i != -1; i = next[i]) {
            String symbol = text.substring(start[i], start[i] + length[i]);
            Integer id = ids.get(symbol);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteTokens[b & 0xFF]);
                }
            }
        }
    }

    private void tryPair(int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int size = length[left] + length[right];
        Integer id = ids.get(text.substring(start[left], start[left] + size));
        if (id != null) {
            push(scores[id], left, right, size);
        }
    }

    /** Whether pair a comes out before pair b: higher score, then the leftmost. */
    private boolean before(int a, int b) {
        // == and < (not Float.compare) as llama.cpp compares: -0.0 and 0.0 tie
        return heapScore[a] > heapScore[b] || heapScore[a] == heapScore[b] && heapLeft[a] < heapLeft[b];
    }

    private void push(float score, int left, int right, int size) {
        if (heapCount == heapScore.length) {
            int capacity = heapCount * 2;
            heapScore = Arrays.copyOf(heapScore, capacity);
            heapLeft = Arrays.copyOf(heapLeft, capacity);
            heapRight = Arrays.copyOf(heapRight, capacity);
            heapSize = Arrays.copyOf(heapSize, capacity);
        }
        int i = heapCount++;
        set(i, score, left, right, size);
        while (i > 0 && before(i, (i - 1) / 2)) {
            swap(i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    }

    private void pop() {
        heapCount--;
        set(0, heapScore[heapCount], heapLeft[heapCount], heapRight[heapCount], heapSize[heapCount]);
        int i = 0;
        while (true) {
            int best = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < heapCount && before(l, best)) {
                best = l;
            }
            if (r < heapCount && before(r, best)) {
                best = r;
            }
            if (best == i) {
                return;
            }
            swap(i, best);
            i = best;
        }
    }

    private void set(int i, float score, int left, int right, int size) {
        heapScore[i] = score;
        heapLeft[i] = left;
        heapRight[i] = right;
        heapSize[i] = size;
    }

    private void swap(int i, int j) {
        float score = heapScore[i];
        int left = heapLeft[i];
        int right = heapRight[i];
        int size = heapSize[i];
        set(i, heapScore[j], heapLeft[j], heapRight[j], heapSize[j]);
        set(j, score, left, right, size);
    }
}
