// Load for the fault tests and bench:faults: clients reading and writing over HTTP (kept-alive
// connections) against a server process, every answer classified and timed.
import { randomUUID } from 'node:crypto';

/** How an answer reads to a client. `untyped` (a masked error) and `network` are what must not happen. */
export type Outcome = 'ok' | 'unavailable' | 'unauthenticated' | 'refused' | 'untyped' | 'network';

export interface Answer {
  kind: 'read' | 'write' | 'login';
  client: number;
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  /** The game result's score, for writes: unique per write, so each can be found in PostgreSQL. */
  score?: number;
  detail?: string;
}

export interface LoadPlayer {
  id: string;
  username: string;
  password: string;
  token: string;
  characterId: string;
}

const SUCCESS = new Set(['GameResultPayload', 'AuthPayload']);

async function call(url: string, query: string, variables: object, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as GraphQLBody) : null, text };
}

interface GraphQLBody {
  data?: Record<string, { __typename?: string; id?: string } | null> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** The outcome of one answer: a success, a typed refusal, or something a client cannot act on. */
export function classify(status: number, body: GraphQLBody | null, text: string): { outcome: Outcome; detail?: string } {
  if (status === 503 && body && 'shuttingDown' in body) return { outcome: 'refused' };
  if (!body) return { outcome: 'untyped', detail: `${status} ${text.slice(0, 200)}` };
  const code = body.errors?.[0]?.extensions?.code;
  if (code === 'SERVICE_UNAVAILABLE') return { outcome: 'unavailable' };
  if (code === 'UNAUTHENTICATED') return { outcome: 'unauthenticated' };
  if (body.errors?.length) return { outcome: 'untyped', detail: JSON.stringify(body.errors).slice(0, 300) };
  const field = Object.values(body.data ?? {})[0];
  if (field === null || field === undefined) return { outcome: 'ok' }; // character(id) of none
  const type = field.__typename;
  if (type === 'ServiceUnavailableError') return { outcome: 'unavailable' };
  if (type === 'UnauthenticatedError') return { outcome: 'unauthenticated' };
  if (type === undefined || type === 'Character' || SUCCESS.has(type)) return { outcome: 'ok' };
  return { outcome: 'untyped', detail: type };
}

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) {
  __typename ... on AuthPayload { token player { id } } ... on Error { code message } } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { __typename ... on AuthPayload { token } ... on Error { code } } }`;
const CREATE_CHARACTER = `mutation ($input: CreateCharacterInput!) { createCharacter(input: $input) {
  __typename ... on CreateCharacterPayload { character { id } } ... on Error { code message } } }`;
const SUBMIT = `mutation ($input: SubmitGameResultInput!) { submitGameResult(input: $input) {
  __typename ... on GameResultPayload { allTimeRank result { id score } } ... on Error { code } } }`;
const READ = `query ($id: ID!) { character(id: $id) { __typename id name rank attributes { power speed } player { username } } }`;

/** A signed-in player with one character, made through the API. */
export async function makePlayer(url: string, label: string): Promise<LoadPlayer> {
  const suffix = randomUUID().slice(0, 8);
  const username = `${label}_${suffix}`;
  const password = 'correct horse battery';
  const registered = await call(url, REGISTER, { input: { username, email: `${username}@example.com`, password } });
  const auth = registered.body?.data?.register as { token: string; player: { id: string } } | undefined;
  if (!auth?.token) throw new Error(`register failed: ${registered.text}`);
  const created = await call(url, CREATE_CHARACTER, { input: { name: `Hero ${suffix}` } }, auth.token);
  const character = (created.body?.data?.createCharacter as { character?: { id: string } } | undefined)?.character;
  if (!character) throw new Error(`createCharacter failed: ${created.text}`);
  return { id: auth.player.id, username, password, token: auth.token, characterId: character.id };
}

/**
 * Runs `writers` clients submitting game results (each a transaction, then the leaderboards in
 * Redis) and `readers` clients reading characters, until `stop()`. A writer whose session was lost
 * with Redis signs in again.
 */
export function startLoad(url: string, writers: LoadPlayer[], readTargets: string[], readers: number) {
  const answers: Answer[] = [];
  let running = true;
  let nextScore = 1;
  const timed = async (answer: Omit<Answer, 'startedAt' | 'endedAt' | 'outcome'>, run: () => ReturnType<typeof call>) => {
    const startedAt = performance.now();
    let result: { outcome: Outcome; detail?: string };
    let body: GraphQLBody | null = null;
    try {
      const response = await run();
      body = response.body;
      result = classify(response.status, response.body, response.text);
    } catch (error) {
      result = { outcome: 'network', detail: (error as Error).cause ? String((error as Error).cause) : (error as Error).message };
    }
    const entry = { ...answer, ...result, startedAt, endedAt: performance.now() };
    answers.push(entry);
    return { entry, body };
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
  const writer = async (player: LoadPlayer, client: number) => {
    while (running) {
      const score = nextScore++;
      const input = { score, floorReached: 1, durationSeconds: 30, victory: false };
      const { entry } = await timed({ kind: 'write', client, score }, () => call(url, SUBMIT, { input }, player.token));
      if (entry.outcome === 'unauthenticated') {
        const login = await timed({ kind: 'login', client }, () =>
          call(url, LOGIN, { input: { login: player.username, password: player.password } }),
        );
        const token = (login.body?.data?.login as { token?: string } | undefined)?.token;
        if (token) player.token = token;
      }
      if (entry.outcome !== 'ok') await pause();
    }
  };
  const reader = async (client: number) => {
    for (let i = 0; running; i++) {
      const id = readTargets[(client + i) % readTargets.length]!;
      const { entry } = await timed({ kind: 'read', client }, () => call(url, READ, { id }));
      if (entry.outcome !== 'ok') await pause();
    }
  };
  const clients = [
    ...writers.map((player, i) => writer(player, i)),
    ...Array.from({ length: readers }, (_, i) => reader(writers.length + i)),
  ];
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(clients);
      return answers;
    },
  };
}

/** Polls `url` until it answers 200; the time it took, in ms. */
export async function timeUntilOk(url: string, timeoutMs = 15_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const status = await fetch(url)
      .then((response) => response.status)
      .catch(() => 0);
    if (status === 200) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Number.POSITIVE_INFINITY;
}

/** Answers grouped by outcome, e.g. `{ ok: 120, unavailable: 14 }`. */
export function countByOutcome(answers: Answer[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const answer of answers) counts[answer.outcome] = (counts[answer.outcome] ?? 0) + 1;
  return counts;
}
