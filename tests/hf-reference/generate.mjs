// Greedy generation with transformers.js (onnxruntime-node) from a local model folder, as an
// independent check of Rollout's ONNX export and folder layout.
//
//   node generate.mjs <model-dir> <prompts.json> <new-tokens> <out.json>
//
// prompts.json is an array of token-id arrays. Each prompt is generated alone, then all together
// as one left-padded batch. End-of-sequence never stops generation, so every run yields exactly
// <new-tokens> tokens to compare.
import fs from 'node:fs';
import path from 'node:path';
import { AutoModelForCausalLM, Tensor, env } from '@huggingface/transformers';

const [modelDir, promptsPath, newTokensText, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node generate.mjs <model-dir> <prompts.json> <new-tokens> <out.json>');
  process.exit(2);
}
const newTokens = Number(newTokensText);
const prompts = JSON.parse(fs.readFileSync(promptsPath, 'utf8'));

env.allowRemoteModels = false;
env.allowLocalModels = true;
const absolute = path.resolve(modelDir);
env.localModelPath = path.dirname(absolute) + path.sep;
const model = await AutoModelForCausalLM.from_pretrained(path.basename(absolute), { local_files_only: true, dtype: 'fp32' });

// Rows are left-padded with token 0 under mask 0; transformers.js derives positions from the mask.
async function greedy(batch) {
  const width = Math.max(...batch.map((p) => p.length));
  const ids = [], mask = [];
  for (const p of batch) {
    const pad = width - p.length;
    ids.push(...Array(pad).fill(0n), ...p.map(BigInt));
    mask.push(...Array(pad).fill(0n), ...p.map(() => 1n));
  }
  const output = await model.generate({
    input_ids: new Tensor('int64', BigInt64Array.from(ids), [batch.length, width]),
    attention_mask: new Tensor('int64', BigInt64Array.from(mask), [batch.length, width]),
    max_new_tokens: newTokens,
    do_sample: false,
    eos_token_id: -1,
  });
  return output.tolist().map((row) => row.slice(width).map(Number));
}

const single = [];
for (const p of prompts) single.push((await greedy([p]))[0]);
const batched = await greedy(prompts);

const pkg = JSON.parse(fs.readFileSync(new URL('./node_modules/@huggingface/transformers/package.json', import.meta.url), 'utf8'));
const config = JSON.parse(fs.readFileSync(path.join(absolute, 'config.json'), 'utf8'));
fs.writeFileSync(outPath, JSON.stringify({
  generator: `@huggingface/transformers ${pkg.version}`,
  config,
  prompts,
  new_tokens: newTokens,
  single,
  batched,
}, null, 2) + '\n');
console.log(`${outPath}: ${prompts.length} prompts, ${newTokens} tokens each`);
