// Times llama.cpp (the prebuilt CPU build shipped in the npm package @node-llama-cpp/linux-x64,
// driven through node-llama-cpp) the way `gale bench` times Gale: prefill of P tokens (BOS, then
// fixed pseudo-random ids) into an empty context, and decode of N tokens (BOS, then N single-token
// steps, greedy) from an empty context. One untimed warm-up of each first.
//
// usage: node tasks/llamacpp-bench.mjs -m FILE [-p 128] [-n 32] [-t 2] [--reps 1] [--batch 512]
// Prints one JSON object per rep: {"rep":i,"pp_tok_s":..,"tg_tok_s":..}, then a summary object.
// Also the process CPU time per token (robust to other programs taking the cores; includes spinning).
// Expects node-llama-cpp installed under tasks/.cache (tasks/compare-llamacpp does that).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, ".cache", "package.json"));

function parseArgs(argv) {
    const o = { m: null, p: 128, n: 32, t: 2, reps: 1, batch: 512 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
            case "-m": o.m = v(); break;
            case "-p": o.p = Number(v()); break;
            case "-n": o.n = Number(v()); break;
            case "-t": o.t = Number(v()); break;
            case "--reps": o.reps = Number(v()); break;
            case "--batch": o.batch = Number(v()); break;
            default: throw new Error(`unknown option ${a}`);
        }
    }
    if (!o.m) throw new Error("-m FILE is required");
    for (const k of ["p", "n", "t", "reps", "batch"]) {
        if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`-${k} must be a positive integer`);
    }
    return o;
}

/** BOS then ids from a fixed linear congruential sequence, avoiding the first 3 (control) ids. */
function promptTokens(count, vocab, bos) {
    const out = [bos];
    let s = 12345;
    while (out.length < count) {
        s = (s * 1103515245 + 12345) % 2147483648;
        out.push(3 + (s % (vocab - 3)));
    }
    return out;
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const { getLlama, LlamaLogLevel } = await import(require.resolve("node-llama-cpp"));
    const llama = await getLlama({ gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
        progressLogs: false, logLevel: LlamaLogLevel.error, maxThreads: o.t });
    const model = await llama.loadModel({ modelPath: o.m, gpuLayers: 0, useMmap: true });
    const context = await model.createContext({ contextSize: Math.max(o.p, o.n + 1) + 16, batchSize: o.batch,
        threads: { ideal: o.t, min: o.t }, sequences: 1, flashAttention: false });
    const seq = context.getSequence();
    const vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    const bos = model.tokens.bos ?? 1;
    const prompt = promptTokens(o.p, vocab, bos);

    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
    let lastCpu = 0;
    async function prefill() {
        await seq.clearHistory();
        const c0 = cpu();
        const t0 = process.hrtime.bigint();
        await seq.evaluateWithoutGeneratingNewTokens(prompt);
        lastCpu = cpu() - c0;
        return Number(process.hrtime.bigint() - t0) / 1e9;
    }

    async function decode() {
        await seq.clearHistory();
        let steps = 0;
        const c0 = cpu();
        const t0 = process.hrtime.bigint();
        // each yielded token is one forward pass: BOS first, then the fed-back tokens
        for await (const _ of seq.evaluate([bos], { temperature: 0 })) {
            if (++steps >= o.n) break;
        }
        lastCpu = cpu() - c0;
        return Number(process.hrtime.bigint() - t0) / 1e9;
    }

    await prefill();
    await decode();
    const pp = [], tg = [], ppCpu = [], tgCpu = [];
    for (let r = 0; r < o.reps; r++) {
        const ps = await prefill();
        ppCpu.push(lastCpu / o.p);
        const ds = await decode();
        tgCpu.push(lastCpu / o.n);
        pp.push(o.p / ps);
        tg.push(o.n / ds);
        console.log(JSON.stringify({ rep: r, pp_tok_s: o.p / ps, tg_tok_s: o.n / ds, pp_cpu_s_per_tok: ppCpu[r],
            tg_cpu_s_per_tok: tgCpu[r] }));
    }
    const median = a => { const s = [...a].sort((x, y) => x - y); const k = s.length >> 1;
        return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
    console.log(JSON.stringify({ engine: "llama.cpp", threads: o.t, p: o.p, n: o.n, reps: o.reps,
        pp_tok_s: median(pp), tg_tok_s: median(tg), pp_min: Math.min(...pp), pp_max: Math.max(...pp),
        tg_min: Math.min(...tg), tg_max: Math.max(...tg), pp_cpu_s_per_tok: median(ppCpu),
        tg_cpu_s_per_tok: median(tgCpu) }));
    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

main().catch(e => { console.error("llamacpp-bench: error: " + (e?.message ?? e)); process.exit(1); });
