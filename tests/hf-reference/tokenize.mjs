// Records how Hugging Face's tokenizer (transformers.js) encodes a fixed set of texts with a local
// tokenizer folder, as the ground truth for Rollout's TextTokenizer tests.
// Usage: node tokenize.mjs <tokenizer folder> <output .json>
import { AutoTokenizer, env } from '@huggingface/transformers';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const [folder, output] = process.argv.slice(2);
if (!folder || !output) {
  console.error('usage: node tokenize.mjs <tokenizer folder> <output .json>');
  process.exit(2);
}

const texts = [
  '',
  'Hello, world!',
  '  leading and trailing spaces  ',
  ' a',
  'def add(a, b):\n    return a + b\n',
  'class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n',
  'if (x) {\n\tif (y) {\n\t\treturn 1;\n\t}\n}\n',
  'indent        eight, and a long run:                                        done',
  'tabs\t\t\tthree and\t\t\t\t\t\t\t\t\t\t\tmany',
  'line one\r\nline two\r\n\r\nline four',
  'trailing newlines\n\n\n',
  '1234567890 + 98765 = 99999 * 3.14159 - 0.001',
  'x = 12 * (34 + 56) / 7 % 8',
  'naïve café, déjà vu; Straße; 東京タワー; Привет мир; مرحبا',
  'emoji: 🎉🚀 family: 👨‍👩‍👧 flag: 🇫🇷 and ✓ done',
  'text<|endoftext|>more text',
  '<|endoftext|><|endoftext|>',
  ' <|endoftext|> spaced ',
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
  '<think><episode_1>Add two and two.</episode_1><episode_2>That gives 4.</episode_2></think>The answer is 4.',
  "It's a test: they'll say we've done it, I'm sure you'd agree.",
  'URL: https://example.com/path?query=1&x=y#frag',
  'JSON: {"key": [1, 2, 3], "nested": {"a": null}}',
  '    ',
  '\n',
  'mixed \t whitespace \u00a0 nbsp and\u3000ideographic space',
  'zero\u200bwidth and combining e\u0301 accent',
  // Added-token flags (lstrip/rstrip/single_word) in the llama3-style fixture folder.
  'a  [MASK]  b',
  'x <tool>   y<tool>',
  'cat concat cat_ cats (cat) cat.',
  'MASK [MASK][MASK] done',
];

env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(folder));
const tokenizer = await AutoTokenizer.from_pretrained(path.basename(path.resolve(folder)));

// transformers.js refuses to decode an empty list.
const decode = (ids, options) => (ids.length === 0 ? '' : tokenizer.decode(ids, options));

const cases = texts.map(text => {
  const ids = tokenizer.encode(text);
  return {
    text,
    ids,
    idsWithoutSpecialTokens: tokenizer.encode(text, { add_special_tokens: false }),
    decoded: decode(ids, { clean_up_tokenization_spaces: false }),
    decodedSkippingSpecial: decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
  };
});
// One case per few lines: id lists stay on one line.
const json = JSON.stringify({ source: `transformers.js on ${path.basename(folder)}`, cases }, null, 1)
  .replace(/\[\s+([-\d,\s]+?)\s+\]/g, (_, inner) => `[${inner.split(/,\s*/).join(', ')}]`);
writeFileSync(output, json + '\n');
console.log(`wrote ${cases.length} cases to ${output}`);
