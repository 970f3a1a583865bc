import { type ASTNode, GraphQLError, Kind, Lexer, Source, TokenKind, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { REQUEST_LIMITS } from '../limits.js';

/** A refusal before execution: a GraphQL error with a code and an HTTP status, echoing nothing. */
export function refusal(status: number, code: string, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions, http: { status } } });
}

const isJson = (request: Request) => /^application\/(graphql\+)?json\s*(;|$)/i.test(request.headers.get('content-type') ?? '');

/** Reads at most `limit` bytes of the body; null when it is longer. */
async function readBounded(request: Request, limit: number): Promise<string | null> {
  const declared = Number(request.headers.get('content-length'));
  if (declared > limit) return null;
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Only JSON bodies of at most 1 MiB execute; the JSON error never quotes the body. */
async function parseJsonBody(request: Request) {
  const text = await readBounded(request, REQUEST_LIMITS.maxBodyBytes);
  if (text === null) {
    throw refusal(413, 'PAYLOAD_TOO_LARGE', `Request bodies are limited to ${REQUEST_LIMITS.maxBodyBytes} bytes.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw refusal(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object') throw refusal(400, 'BAD_REQUEST', 'The request body must be a JSON object.');
  return body as Record<string, never>;
}

function parseJsonParameter(value: string | null, name: string): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw refusal(400, 'BAD_REQUEST', `The ${name} parameter is not valid JSON.`);
  }
}

/** A GET's parameters; its JSON errors never quote the parameter. */
function parseGetParameters(request: Request) {
  const search = new URL(request.url).searchParams;
  return {
    query: search.get('query') || undefined,
    operationName: search.get('operationName') || undefined,
    variables: parseJsonParameter(search.get('variables'), 'variables') as Record<string, never> | undefined,
    extensions: parseJsonParameter(search.get('extensions'), 'extensions') as Record<string, never> | undefined,
  };
}

// Strings PostgreSQL refuses: NUL, and UTF-16 halves without their other half.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point.
const REFUSED_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string (or key) in a JSON value that PostgreSQL could not store. */
export function refusedTextIn(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return REFUSED_TEXT.test(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (REFUSED_TEXT.test(key)) return at;
    const found = refusedTextIn(item, at, depth + 1);
    if (found) return found;
  }
  return null;
}

function refusedLiteralIn(node: ValueNode, path: string): string | null {
  if (node.kind === Kind.STRING) return REFUSED_TEXT.test(node.value) ? path : null;
  if (node.kind === Kind.LIST) {
    for (const [i, item] of node.values.entries()) {
      const found = refusedLiteralIn(item, `${path}[${i}]`);
      if (found) return found;
    }
  }
  if (node.kind === Kind.OBJECT) {
    for (const field of node.fields) {
      const found = refusedLiteralIn(field.value, `${path}.${field.name.value}`);
      if (found) return found;
    }
  }
  return null;
}

/** The argument whose literal text PostgreSQL could not store, anywhere in the document. */
export function refusedArgumentIn(document: ASTNode): string | null {
  const pending: ASTNode[] = [document];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.kind === Kind.ARGUMENT) {
      const found = refusedLiteralIn(node.value, node.name.value);
      if (found) return found;
    } else if ('definitions' in node) pending.push(...node.definitions);
    else if ('selectionSet' in node && node.selectionSet) {
      pending.push(...(('arguments' in node && node.arguments) || []), ...node.selectionSet.selections);
    }
  }
  return null;
}

/**
 * Bounds every request before anything runs (DESIGN §14): JSON POSTs (or GETs) only, bodies
 * up to 1 MiB, documents up to 1,000 tokens, and no string PostgreSQL would refuse.
 */
export function useRequestGuard(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method === 'GET') return setRequestParser(parseGetParameters);
      if (request.method !== 'POST') return;
      if (!isJson(request)) {
        throw refusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send GraphQL requests as application/json (or queries as GET).');
      }
      setRequestParser(parseJsonBody);
    },
    onParams({ params, setResult }) {
      // Counted before parsing, so a deeply nested document never reaches the recursive parser.
      if (typeof params.query === 'string' && tokensExceed(params.query, REQUEST_LIMITS.maxTokens)) {
        setResult({
          errors: [
            refusal(400, 'QUERY_LIMIT_EXCEEDED', `Documents are limited to ${REQUEST_LIMITS.maxTokens} tokens.`, {
              limit: 'tokens',
              max: REQUEST_LIMITS.maxTokens,
            }),
          ],
        });
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const field = refusedTextIn(args.variableValues ?? {}, '') ?? refusedArgumentIn(args.document);
      if (!field) return;
      const message = `${field}: must not contain NUL or unpaired surrogate characters`;
      setResultAndStopExecution({ errors: [refusal(400, 'VALIDATION', message, { field })] });
    },
  };
}

/** Whether a document has more than `max` tokens; a lexical error stops the count (the parser reports it). */
function tokensExceed(query: string, max: number): boolean {
  const lexer = new Lexer(new Source(query));
  try {
    for (let count = 0; count <= max; count++) if (lexer.advance().kind === TokenKind.EOF) return false;
    return true;
  } catch {
    return false;
  }
}
