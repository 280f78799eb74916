// Minimal real-inference LLM server on top of node-llama-cpp (llama.cpp addon).
// Serves OpenAI  POST /v1/chat/completions  (usage.prompt_tokens / completion_tokens, stream + non-stream)
// and   Ollama   POST /api/chat             (prompt_eval_count / eval_count, NDJSON stream + non-stream)
// plus GET /v1/models, /api/tags, /api/version, /health.
// usage: node llm-server.mjs --model FILE.gguf [--port 11434] [--host 127.0.0.1] [--ctx 2048] [--threads 1] [--name NAME]
//        [--record FILE]   (tests: append one JSON line per chat request: path, request body, the usage it answered)
import fs from "node:fs";
import http from "node:http";
import {getLlama} from "node-llama-cpp";
import {Template} from "@huggingface/jinja";

const arg = (name, def) => {
    const i = process.argv.indexOf("--" + name);
    return i >= 0 ? process.argv[i + 1] : def;
};
const modelPath = arg("model");
const port = Number(arg("port", "11434"));
const host = arg("host", "127.0.0.1");
const ctxSize = Number(arg("ctx", "2048"));
// 1 thread by default: on a small shared 2-core box, 2 ggml threads spin against each other (~100x slower)
const threads = Number(arg("threads", "1"));
if (!modelPath) { console.error("--model required"); process.exit(2); }
const recordPath = arg("record");
const record = (path, body, r) => {
    if (recordPath)
        fs.appendFileSync(recordPath, JSON.stringify({path, body, text: r.text,
            usage: {prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens}}) + "\n");
};

const tLoad0 = performance.now();
const llama = await getLlama({gpu: false, build: "never", progressLogs: false, logLevel: "error", maxThreads: threads});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: Math.min(ctxSize, model.trainContextSize), sequences: 1, threads});
const seq = context.getSequence();
const loadNs = Math.round((performance.now() - tLoad0) * 1e6);
const modelName = arg("name", model.fileInfo.metadata?.general?.name ?? "local");
const tmplSrc = model.fileInfo.metadata?.tokenizer?.chat_template;
const template = tmplSrc ? new Template(tmplSrc) : null;

function render(messages) {
    const msgs = messages.map(m => ({
        role: m.role,
        content: Array.isArray(m.content) ? m.content.map(p => p.text ?? "").join("") : String(m.content ?? "")
    }));
    if (template)
        return template.render({messages: msgs, add_generation_prompt: true,
            bos_token: model.tokens.bosString ?? "", eos_token: model.tokens.eosString ?? ""});
    return msgs.map(m => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join("") + "<|im_start|>assistant\n";
}

// one request at a time (single sequence)
let chain = Promise.resolve();
const serialize = fn => { const p = chain.then(fn, fn); chain = p.catch(() => {}); return p; };

async function generate({messages, maxTokens = 256, temperature = 0, seed, stop = []}, onText) {
    const prompt = render(messages);
    let tokens = model.tokenize(prompt, true);
    if (model.tokens.shouldPrependBosToken && model.tokens.bos != null && tokens[0] !== model.tokens.bos)
        tokens = [model.tokens.bos, ...tokens];
    await seq.clearHistory();
    const t0 = performance.now();
    let tFirst = null;
    const out = [];
    let text = "", finish = "length", eog = false, stopHit = false;
    if (maxTokens > 0) {
        for await (const tok of seq.evaluate(tokens, {temperature, seed: seed ?? 0, topK: 40, topP: 0.95})) {
            if (tFirst == null) tFirst = performance.now();
            if (model.isEogToken(tok)) { eog = true; break; }
            out.push(tok);
            const full = model.detokenize(out);
            const piece = full.slice(text.length);
            text = full;
            const hit = stop.find(s => s && text.includes(s));
            if (hit) { text = text.slice(0, text.indexOf(hit)); stopHit = true; break; }
            if (piece && onText) onText(piece);
            if (out.length >= maxTokens) break;
        }
        // node-llama-cpp ends the generator by itself (without yielding it) when the model emits an end-of-generation token
        if (!stopHit && out.length < maxTokens) eog = true;
        if (eog || stopHit) finish = "stop";
    }
    // like llama-server, count the sampled end-of-generation token as a generated token
    const completionTokens = out.length + (eog ? 1 : 0);
    const t1 = performance.now();
    tFirst ??= t1;
    return {text, finish, promptTokens: tokens.length, completionTokens,
        promptNs: Math.round((tFirst - t0) * 1e6), evalNs: Math.round((t1 - tFirst) * 1e6)};
}

const readBody = req => new Promise((res, rej) => {
    let b = ""; req.setEncoding("utf8");
    req.on("data", c => b += c); req.on("end", () => res(b)); req.on("error", rej);
});
const sendJson = (res, code, obj) => {
    const s = JSON.stringify(obj);
    res.writeHead(code, {"content-type": "application/json", "content-length": Buffer.byteLength(s)});
    res.end(s);
};
const asArray = v => v == null ? [] : Array.isArray(v) ? v : [v];

async function openaiChat(req, res, body) {
    const id = "chatcmpl-" + Math.random().toString(36).slice(2);
    const created = Math.floor(Date.now() / 1000);
    const opts = {messages: body.messages ?? [], maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 256,
        temperature: body.temperature ?? 0, seed: body.seed, stop: asArray(body.stop)};
    if (!body.stream) {
        const r = await serialize(() => generate(opts));
        record("/v1/chat/completions", body, r);
        return sendJson(res, 200, {id, object: "chat.completion", created, model: body.model ?? modelName,
            choices: [{index: 0, message: {role: "assistant", content: r.text}, finish_reason: r.finish}],
            usage: {prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens,
                total_tokens: r.promptTokens + r.completionTokens}});
    }
    res.writeHead(200, {"content-type": "text/event-stream", "cache-control": "no-cache"});
    const chunk = (delta, finish, extra = {}) => res.write("data: " + JSON.stringify({id, object: "chat.completion.chunk",
        created, model: body.model ?? modelName, choices: [{index: 0, delta, finish_reason: finish}], ...extra}) + "\n\n");
    chunk({role: "assistant", content: ""}, null);
    const r = await serialize(() => generate(opts, piece => chunk({content: piece}, null)));
    record("/v1/chat/completions", body, r);
    chunk({}, r.finish);
    if (body.stream_options?.include_usage)
        res.write("data: " + JSON.stringify({id, object: "chat.completion.chunk", created, model: body.model ?? modelName,
            choices: [], usage: {prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens,
                total_tokens: r.promptTokens + r.completionTokens}}) + "\n\n");
    res.end("data: [DONE]\n\n");
}

async function ollamaChat(req, res, body) {
    const o = body.options ?? {};
    const opts = {messages: body.messages ?? [], maxTokens: o.num_predict ?? 256, temperature: o.temperature ?? 0,
        seed: o.seed, stop: asArray(o.stop)};
    const model_ = body.model ?? modelName;
    const stamp = () => new Date().toISOString();
    const final = (r, content) => ({model: model_, created_at: stamp(), message: {role: "assistant", content},
        done: true, done_reason: r.finish === "stop" ? "stop" : "length",
        total_duration: r.promptNs + r.evalNs, load_duration: 0,
        prompt_eval_count: r.promptTokens, prompt_eval_duration: r.promptNs,
        eval_count: r.completionTokens, eval_duration: r.evalNs});
    if (body.stream === false) {
        const r = await serialize(() => generate(opts));
        record("/api/chat", body, r);
        return sendJson(res, 200, final(r, r.text));
    }
    res.writeHead(200, {"content-type": "application/x-ndjson"});
    const r = await serialize(() => generate(opts, piece => res.write(JSON.stringify({model: model_, created_at: stamp(),
        message: {role: "assistant", content: piece}, done: false}) + "\n")));
    record("/api/chat", body, r);
    res.end(JSON.stringify(final(r, "")) + "\n");
}

const server = http.createServer(async (req, res) => {
    try {
        const url = req.url.split("?")[0];
        if (req.method === "GET" && (url === "/health" || url === "/"))
            return sendJson(res, 200, {status: "ok"});
        if (req.method === "GET" && url === "/v1/models")
            return sendJson(res, 200, {object: "list", data: [{id: modelName, object: "model", owned_by: "local"}]});
        if (req.method === "GET" && url === "/api/tags")
            return sendJson(res, 200, {models: [{name: modelName, model: modelName}]});
        if (req.method === "GET" && url === "/api/version")
            return sendJson(res, 200, {version: "0.0.0-node-llama-cpp"});
        if (req.method === "POST" && (url === "/v1/chat/completions" || url === "/api/chat")) {
            let body;
            try { body = JSON.parse(await readBody(req) || "{}"); }
            catch { return sendJson(res, 400, {error: {message: "invalid JSON", type: "invalid_request_error"}}); }
            if (!Array.isArray(body.messages))
                return sendJson(res, 400, {error: {message: "messages must be an array", type: "invalid_request_error"}});
            return url === "/api/chat" ? await ollamaChat(req, res, body) : await openaiChat(req, res, body);
        }
        sendJson(res, 404, {error: {message: "not found"}});
    } catch (e) {
        if (!res.headersSent) sendJson(res, 500, {error: {message: String(e?.message ?? e)}});
        else res.end();
    }
});
server.listen(port, host, () =>
    console.log(`listening on http://${host}:${port} model=${modelName} load_ms=${(loadNs / 1e6).toFixed(0)}`));
const shutdown = async () => { server.close(); await context.dispose(); await model.dispose(); await llama.dispose(); process.exit(0); };
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
