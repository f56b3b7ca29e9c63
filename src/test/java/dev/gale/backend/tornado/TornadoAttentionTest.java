package dev.gale.backend.tornado;

import dev.gale.backend.CacheLayout;
import dev.gale.backend.reference.ReferenceOps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;
import static dev.gale.backend.tornado.TornadoTestSupport.array;
import static dev.gale.backend.tornado.TornadoTestSupport.random;
import static dev.gale.backend.tornado.TornadoTestSupport.run;
import static dev.gale.backend.tornado.TornadoTestSupport.slice;
import static dev.gale.backend.tornado.TornadoTestSupport.step;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Attention over the rolling cache and the chunk's own keys, and the cache store that follows it,
 * against the reference's band-masked attention over the full key history: GQA ratios 1, 3 and 8,
 * windows smaller and larger than the sequence, chunks longer than the window, several key tiles.
 */
class TornadoAttentionTest {

    @ParameterizedTest(name = "heads {0}/{1}, head {2}, window {3}, chunk of {5} at {4}, work-group {6}")
    @CsvSource({
        "6, 2, 16, 0, 0, 5, 0",      // prefill from 0, no cache
        "6, 2, 16, 5, 13, 7, 0",     // window 5 < chunk 7: keys from the rolling cache and from the chunk
        "8, 1, 20, 100, 30, 3, 0",   // window larger than the sequence; 8 query heads share 1 KV head
        "4, 4, 8, 0, 70, 1, 0",      // decode after 70 positions: several tiles of keys
        "6, 3, 24, 9, 40, 4, 1",     // one work-item per group
        "6, 2, 16, 0, 300, 2, 256",  // the largest work-group
        "5, 5, 64, 7, 200, 9, 64",   // 64-wide heads (loops TornadoVM does not unroll), chunk > window
        "4, 2, 128, 0, 90, 3, 0"})   // Mistral's head size
    void attentionMatchesTheBandMaskedReference(int heads, int kvHeads, int headDim, int window, int pos, int n,
                                                int local) {
        int wgSize = local > 0 ? local : TornadoTestSupport.workGroups().attention();
        int kvDim = kvHeads * headDim;
        CacheLayout layout = CacheLayout.of(window, 512);
        int slots = layout.slots();
        SplittableRandom rnd = new SplittableRandom(pos * 7L + n);
        int total = pos + n;
        float[][] keys = new float[total][];
        float[][] values = new float[total][];
        for (int j = 0; j < total; j++) {
            keys[j] = random(rnd, kvDim);
            values[j] = random(rnd, kvDim);
        }
        // two layers of cache; the second (layer 5 of a group starting at 4) holds positions before pos
        FloatArray keyCache = new FloatArray(2 * slots * kvDim);
        FloatArray valueCache = new FloatArray(2 * slots * kvDim);
        for (int j = Math.max(0, pos - slots); j < pos; j++) {
            for (int i = 0; i < kvDim; i++) {
                keyCache.set(slots * kvDim + layout.slot(j) * kvDim + i, keys[j][i]);
                valueCache.set(slots * kvDim + layout.slot(j) * kvDim + i, values[j][i]);
            }
        }
        int qDim = heads * headDim;
        int row = qDim + 2 * kvDim;
        float[] qs = random(rnd, n * qDim);
        FloatArray qkv = new FloatArray(n * row);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < qDim; i++) {
                qkv.set(t * row + i, qs[t * qDim + i]);
            }
            for (int i = 0; i < kvDim; i++) {
                qkv.set(t * row + qDim + i, keys[pos + t][i]);
                qkv.set(t * row + qDim + kvDim + i, values[pos + t][i]);
            }
        }
        FloatArray out = new FloatArray(n * qDim);
        IntArray step = step(pos, n, 5, 0);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        run((g, ctx) -> g.task("t", TornadoAttention::attention, ctx, qkv, keyCache, valueCache, out, step,
                heads, kvHeads, headDim, slots, window, scale, 4), n * heads * wgSize, wgSize,
                new Object[] {qkv, keyCache, valueCache, step}, out);
        int width = heads * headDim;
        for (int t = 0; t < n; t++) {
            int p = pos + t;
            float[] expected = new float[width];
            ReferenceOps.attention(expected, Arrays.copyOfRange(qs, t * width, (t + 1) * width), keys, values,
                    layout.firstVisible(p), p,
                    heads, kvHeads, headDim);
            assertClose(expected, slice(out, t * width, width), 1e-5, "query at position " + p);
        }
    }

    @ParameterizedTest(name = "{2} slots, chunk of {1} at {0}")
    @CsvSource({"13, 7, 5", "0, 3, 64", "62, 4, 64"})
    void storeWritesTheChunkIntoItsRollingSlots(int pos, int n, int slots) {
        int kvDim = 6;
        int qDim = 9;
        int row = qDim + 2 * kvDim;
        SplittableRandom rnd = new SplittableRandom(pos);
        FloatArray qkv = array(random(rnd, n * row));
        float[] before = random(rnd, 2 * slots * kvDim);
        FloatArray keyCache = array(before);
        FloatArray valueCache = array(before);
        IntArray step = step(pos, n, 1, 0);
        int local = TornadoTestSupport.workGroups().elementwise();
        run((g, ctx) -> g.task("t", TornadoKVCache::storeKV, ctx, qkv, keyCache, valueCache, step, qDim, kvDim,
                slots, 0), n * kvDim, local, new Object[] {qkv, keyCache, valueCache, step}, keyCache, valueCache);
        float[] expectedK = before.clone();
        float[] expectedV = before.clone();
        for (int t = 0; t < n; t++) {
            int at = slots * kvDim + (pos + t) % slots * kvDim; // layer 1's part of the cache
            for (int i = 0; i < kvDim; i++) {
                expectedK[at + i] = qkv.get(t * row + qDim + i);
                expectedV[at + i] = qkv.get(t * row + qDim + kvDim + i);
            }
        }
        assertArrayEquals(expectedK, slice(keyCache, 0, before.length), "keys");
        assertArrayEquals(expectedV, slice(valueCache, 0, before.length), "values");
    }
}
