package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A slow, plain transcription of llama.cpp's SPM tokenizer for randomized comparison: the special
 * token partition is done token by token on a list of fragments (as {@code tokenizer_st_partition}),
 * and BPE rescans all adjacent pairs after every merge instead of keeping a priority queue.
 */
final class NaiveSpm {
    private final Vocabulary v;

    NaiveSpm(Vocabulary v) {
        this.v = v;
    }

    private int id(String piece) {
        for (int i = 0; i < v.size(); i++) {
            if (v.piece(i).equals(piece)) {
                return i;
            }
        }
        return -1;
    }

    int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        // fragments: String (raw text) or Integer (a special token)
        List<Object> fragments = new ArrayList<>();
        if (!text.isEmpty()) {
            fragments.add(text);
        }
        List<Integer> specials = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            int t = v.type(i);
            if (t == Vocabulary.USER_DEFINED || parseSpecial && (t == Vocabulary.CONTROL || t == Vocabulary.UNKNOWN)) {
                specials.add(i);
            }
        }
        specials.sort(Comparator.comparingInt((Integer i) -> -v.piece(i).getBytes(StandardCharsets.UTF_8).length)
                .thenComparingInt(i -> i));
        for (int special : specials) {
            String s = v.piece(special);
            List<Object> next = new ArrayList<>();
            for (Object f : fragments) {
                if (f instanceof Integer) {
                    next.add(f);
                    continue;
                }
                String rest = (String) f;
                int at;
                while ((at = rest.indexOf(s)) >= 0) {
                    if (at > 0) {
                        next.add(rest.substring(0, at));
                    }
                    next.add(special);
                    rest = rest.substring(at + s.length());
                }
                if (!rest.isEmpty()) {
                    next.add(rest);
                }
            }
            fragments = next;
        }
        List<Integer> out = new ArrayList<>();
        if (addSpecial && v.addBos()) {
            out.add(v.bos());
        }
        boolean prevSpecial = true;
        for (Object f : fragments) {
            if (f instanceof Integer t) {
                out.add(t);
                prevSpecial = true;
            } else {
                String s = (prevSpecial && v.addSpacePrefix() ? " " : "") + f;
                merge(s.replace(" ", "▁"), out);
                prevSpecial = false;
            }
        }
        if (addSpecial && v.addEos()) {
            out.add(v.eos());
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void merge(String text, List<Integer> out) {
        List<String> symbols = new ArrayList<>();
        text.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        while (true) {
            int best = -1;
            float bestScore = 0;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                int id = id(symbols.get(i) + symbols.get(i + 1));
                if (id >= 0 && (best < 0 || v.scores()[id] > bestScore)) {
                    best = i;
                    bestScore = v.scores()[id];
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        for (String s : symbols) {
            int id = id(s);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    out.add(id(String.format("<0x%02X>", b & 0xFF)));
                }
            }
        }
    }
}
