import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The parts of a Hugging Face tokenizer.json that a BERT WordPiece tokenizer needs. */
const TokenizerJsonSchema = z.object({
  normalizer: z.object({ type: z.literal('BertNormalizer'), lowercase: z.boolean() }),
  model: z.object({
    type: z.literal('WordPiece'),
    unk_token: z.string(),
    continuing_subword_prefix: z.string(),
    max_input_chars_per_word: z.number().int().positive(),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
  }),
  truncation: z.object({ max_length: z.number().int().positive() }).nullable(),
});

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
}

function isPunctuation(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  // BERT treats all non-letter/number ASCII as punctuation, plus Unicode P* categories.
  if ((code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126)) return true;
  return /\p{P}/u.test(ch);
}

function isCjk(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x20000 && code <= 0x2a6df) ||
    (code >= 0x2a700 && code <= 0x2b73f) ||
    (code >= 0x2b740 && code <= 0x2b81f) ||
    (code >= 0x2b820 && code <= 0x2ceaf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x2f800 && code <= 0x2fa1f)
  );
}

/**
 * BERT's uncased WordPiece tokenizer (BertNormalizer + BertPreTokenizer + WordPiece + [CLS]/[SEP]),
 * read from a tokenizer.json, so the ONNX sentence encoder gets exactly the ids it was trained on.
 */
export class WordPieceTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly unkId: number;
  private readonly clsId: number;
  private readonly sepId: number;
  private readonly lowercase: boolean;
  private readonly prefix: string;
  private readonly maxCharsPerWord: number;
  readonly maxLength: number;

  constructor(tokenizerJsonPath: string) {
    const parsed = TokenizerJsonSchema.safeParse(JSON.parse(readFileSync(tokenizerJsonPath, 'utf8')));
    if (!parsed.success) throw new Error(`${tokenizerJsonPath} is not a BERT WordPiece tokenizer.json: ${parsed.error.issues[0]?.message}`);
    const t = parsed.data;
    this.vocab = new Map(Object.entries(t.model.vocab));
    const id = (token: string) => {
      const v = this.vocab.get(token);
      if (v === undefined) throw new Error(`${tokenizerJsonPath}: the vocabulary has no ${token}`);
      return v;
    };
    this.unkId = id(t.model.unk_token);
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.lowercase = t.normalizer.lowercase;
    this.prefix = t.model.continuing_subword_prefix;
    this.maxCharsPerWord = t.model.max_input_chars_per_word;
    this.maxLength = t.truncation?.max_length ?? 512;
  }

  private normalise(text: string): string {
    let out = '';
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      if (code === 0 || code === 0xfffd || (/\p{Cc}/u.test(ch) && !/\s/.test(ch))) continue;
      if (/\s/.test(ch)) out += ' ';
      else if (isCjk(code)) out += ` ${ch} `;
      else out += ch;
    }
    // Uncased BERT also strips accents (NFD, then drop combining marks).
    return this.lowercase
      ? out
          .toLowerCase()
          .normalize('NFD')
          .replace(/\p{Mn}/gu, '')
      : out;
  }

  private preTokenise(text: string): string[] {
    const words: string[] = [];
    for (const chunk of text.split(' ')) {
      let current = '';
      for (const ch of chunk) {
        if (isPunctuation(ch)) {
          if (current) words.push(current);
          words.push(ch);
          current = '';
        } else current += ch;
      }
      if (current) words.push(current);
    }
    return words;
  }

  private wordPiece(word: string, out: number[]): void {
    const chars = [...word];
    if (chars.length > this.maxCharsPerWord) {
      out.push(this.unkId);
      return;
    }
    const pieces: number[] = [];
    for (let start = 0; start < chars.length;) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
        found = this.vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        out.push(this.unkId);
        return;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }

  /** Ids with [CLS] … [SEP], truncated to the tokenizer's max length. */
  encode(text: string): Encoding {
    const ids: number[] = [];
    for (const word of this.preTokenise(this.normalise(text))) this.wordPiece(word, ids);
    const body = ids.slice(0, this.maxLength - 2);
    const inputIds = [this.clsId, ...body, this.sepId];
    return { inputIds, attentionMask: inputIds.map(() => 1) };
  }
}
