import { getTableColumns, getTableName, type Many, One } from 'drizzle-orm';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getNullableType,
  getVariableValues,
  type GraphQLField,
  GraphQLEnumType,
  GraphQLID,
  GraphQLString,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  visit,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';
import type { Database } from '../db/client.js';
import { relations } from '../db/relations.js';
import { recordStatement, type StatementCount } from '../db/statement-log.js';
import type { Metrics } from '../metrics.js';

/**
 * Cold reads compiled to one SQL statement that returns the response body as text
 * (issue #18, P2). A query whose every field is a column, a relation or a declared root
 * is answered by PostgreSQL building the JSON text itself: compact, keys in the order
 * graphql-js collects them, lists in the order the relation's query declares. No row
 * reaches JavaScript, and no resolver runs.
 *
 * Anything else (a resolver of its own, an argument, a directive, a type that is not a
 * column of a known kind, auth scopes, cursors or page info) is not compiled: the query
 * runs as before. So is a request whose variables do not coerce, or whose page size is
 * one the resolver would refuse, so every error keeps its one source.
 *
 * The bytes are the ones graphql-js and JSON.stringify would produce for the same rows:
 * test/sql-json.test.ts compares both ways on every compilable field.
 */

/** Declared on a root field whose rows are a page of a table, as plugin-drizzle's connection reads them. */
export interface SqlJsonConnection {
  kind: 'connection';
  /** The resolver's order; plugin-drizzle appends the primary key as the tie-breaker. */
  orderBy: Record<string, 'asc' | 'desc'>;
  maxPage: number;
}

/** Extensions: a root connection field, or a field whose value is an object of the parent row's columns under their own names. */
export const sqlJsonConnection = (connection: Omit<SqlJsonConnection, 'kind'>) => ({
  sqlJson: { kind: 'connection', ...connection } satisfies SqlJsonConnection,
});
export const sqlJsonColumnObject = { sqlJson: { kind: 'columnObject' } } as const;

type Table = Parameters<typeof getTableColumns>[0];
type Column = ReturnType<typeof getTableColumns>[string];
type TableRelations = { table: Table; relations: Record<string, unknown> };
const RELATIONS = relations as unknown as Record<string, TableRelations>;

/** A request's parameter, from its coerced variables; null when the request must run as before. */
type Param = (variables: Record<string, unknown>) => number | null;

/** A statement ($1, $2, … for the values of `params`). */
interface Plan {
  text: string;
  params: Param[];
}

class NotCompilable extends Error {}
const give = (reason: string): never => {
  throw new NotCompilable(reason);
};

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Column types whose JSON from PostgreSQL is what the GraphQL scalar serializes to. */
const SCALAR_COLUMNS: Record<string, ReadonlySet<string>> = {
  ID: new Set(['PgUUID', 'PgVarchar', 'PgText']),
  String: new Set(['PgUUID', 'PgVarchar', 'PgText']),
  Int: new Set(['PgInteger', 'PgSmallInt']),
  Boolean: new Set(['PgBoolean']),
};

interface Scope {
  alias: string;
  table: Table;
  /** Columns a column-object may read (the parent's), by TypeScript name. */
  columns?: ReadonlySet<string>;
}

class Compiler {
  private aliases = 0;
  readonly params: Param[] = [];
  // The plan is the same for every request of the document: no directive (so no variable)
  // decides which fields are collected.
  private readonly variables = {};

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly document: DocumentNode,
  ) {}

  private fragments() {
    return Object.fromEntries(this.document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])));
  }

  private nextAlias() {
    return `t${this.aliases++}`;
  }

  private param(value: Param) {
    this.params.push(value);
    return `\u27e8${this.params.length - 1}\u27e9`;
  }

  root(operation: OperationDefinitionNode): string {
    const query = this.schema.getQueryType()!;
    const fields = collectFields(this.schema, this.fragments(), this.variables, query, operation.selectionSet);
    const entries = [...fields].map(([key, nodes]) => [key, this.rootField(query, nodes)] as const);
    return `select '{"data":' || ${jsonObject(entries)} || '}' as body`;
  }

  private rootField(query: GraphQLObjectType, nodes: readonly FieldNode[]): string {
    const name = nodes[0]!.name.value;
    if (name === '__typename') return jsonString(query.name);
    const field = query.getFields()[name] ?? give(`no field ${name}`);
    const declared = field.extensions?.sqlJson as SqlJsonConnection | undefined;
    if (declared?.kind !== 'connection' || hasAuthScopes(field.extensions)) give(`${name} is not declared`);
    return this.connection(field, declared!, nodes);
  }

  private connection(field: GraphQLField<unknown, unknown>, declared: SqlJsonConnection, nodes: readonly FieldNode[]): string {
    // graphql-js reads the arguments of the first of merged fields (validation made them equal).
    const pageSize: Param = (variables) => {
      const { first, ...others } = getArgumentValues(field, nodes[0]!, variables) as { first?: unknown };
      if (Object.values(others).some((value) => value != null)) return null;
      return typeof first === 'number' && Number.isInteger(first) && first >= 0 && first <= declared.maxPage ? first : null;
    };
    const connectionType = getNullableType(field.type) as GraphQLObjectType;
    const edgeType = getNamedType(connectionType.getFields().edges!.type) as GraphQLObjectType;
    const nodeType = getNamedType(edgeType.getFields().node!.type) as GraphQLObjectType;
    const table = tableOf(nodeType);
    const order = orderSql(table, declared.orderBy, true);
    const row = this.nextAlias();
    const page = `(select * from ${quote(getTableName(table))} order by ${order('')} limit ${this.param(pageSize)}) ${row}`;

    const connectionFields = collectSubfields(this.schema, this.fragments(), this.variables, connectionType, nodes);
    const entries = [...connectionFields].map(([key, connectionNodes]) => {
      const name = connectionNodes[0]!.name.value;
      if (name === '__typename') return [key, jsonString(connectionType.name)] as const;
      if (name !== 'edges') give(`connection field ${name}`);
      const edgeFields = collectSubfields(this.schema, this.fragments(), this.variables, edgeType, connectionNodes);
      const edge = [...edgeFields].map(([edgeKey, edgeNodes]) => {
        const edgeName = edgeNodes[0]!.name.value;
        if (edgeName === '__typename') return [edgeKey, jsonString(edgeType.name)] as const;
        if (edgeName !== 'node') give(`edge field ${edgeName}`);
        return [edgeKey, this.object(nodeType, edgeNodes, { alias: row, table })] as const;
      });
      return [key, jsonArray(jsonObject(edge), order(`${row}.`), page)] as const;
    });
    return jsonObject(entries);
  }

  /** A JSON object for one row in `scope` (a drizzle type), or for the parent's columns (a column object). */
  private object(type: GraphQLObjectType, nodes: readonly FieldNode[], scope: Scope): string {
    const fields = collectSubfields(this.schema, this.fragments(), this.variables, type, nodes);
    return jsonObject([...fields].map(([key, fieldNodes]) => [key, this.field(type, fieldNodes, scope)] as const));
  }

  private field(type: GraphQLObjectType, nodes: readonly FieldNode[], scope: Scope): string {
    const node = nodes[0]!;
    const name = node.name.value;
    if (name === '__typename') return jsonString(type.name);
    if (nodes.some((n) => n.arguments?.length || n.directives?.length)) give('arguments or directives');
    const field = type.getFields()[name] ?? give(`no field ${name}`);
    if (hasAuthScopes(field.extensions)) give('auth scopes');
    const columns = getTableColumns(scope.table);

    if (scope.columns) {
      // A column object's fields are plain exposes of the parent's columns.
      const exposed = field.extensions?.pothosExposedField;
      if (typeof exposed !== 'string' || !scope.columns.has(exposed)) give(`${type.name}.${name} is not an exposed column`);
      return scalar(field.type, columns[exposed as string]!, `${scope.alias}.`);
    }
    const property = (field.resolve as { graphqlPropertyRead?: unknown } | undefined)?.graphqlPropertyRead;
    if (typeof property === 'string' && columns[property]) return scalar(field.type, columns[property], `${scope.alias}.`);

    const declared = field.extensions?.sqlJson as { kind?: string } | undefined;
    if (declared?.kind === 'columnObject') {
      const selected = (field.extensions?.pothosOptions as { select?: { columns?: Record<string, boolean> } })?.select?.columns;
      if (!selected) give('column object without columns');
      const objectType = getNullableType(field.type);
      if (!(objectType instanceof GraphQLObjectType) || hasAuthScopes(objectType.extensions)) give('column object type');
      const own = new Set(Object.keys(selected!).filter((column) => selected![column]));
      return this.object(objectType as GraphQLObjectType, nodes, { ...scope, columns: own });
    }
    return this.relation(type, field, nodes, scope);
  }

  private relation(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[], scope: Scope): string {
    const select = field.extensions?.pothosDrizzleSelect;
    if (typeof select !== 'function' || typeof field.extensions?.pothosDrizzleLoaded !== 'function') {
      give(`${type.name}.${field.name} has a resolver of its own`);
    }
    // plugin-drizzle's relation select: { columns: {}, with: { [relation]: query } }; handed the
    // identity as the nested query, it answers with the field's own query options.
    const planned = (select as (args: unknown, ctx: unknown, nested: (q: unknown) => unknown) => unknown)({}, undefined, (q) => q) as {
      with?: Record<string, Record<string, unknown>>;
    };
    const [[relationName, query] = []] = Object.entries(planned?.with ?? {});
    const tableName = (type.extensions?.pothosDrizzleModel as string | undefined) ?? give('not a drizzle type');
    const relation = RELATIONS[tableName!]?.relations[relationName!] as One<string> | Many<string> | undefined;
    if (!relation || relation.throughTable || relation.where || !query) give('relation');
    if (Object.keys(query!).some((option) => option !== 'orderBy')) give('relation query options');
    const { sourceColumns, targetColumns } = relation!;
    const targetTable = relation!.targetTable as Table;
    const target = this.nextAlias();
    const join = sourceColumns
      .map((source: Column, i: number) => `${target}.${quote(targetColumns[i]!.name)} = ${scope.alias}.${quote(source.name)}`)
      .join(' and ');
    const targetType = getNamedType(field.type) as GraphQLObjectType;
    if (tableOf(targetType) !== targetTable) give('relation type');
    const from = `${quote(getTableName(targetTable))} ${target}`;
    const object = this.object(targetType, nodes, { alias: target, table: targetTable });
    if (relation instanceof One) {
      if (getNullableType(field.type) instanceof GraphQLList) give('list of one');
      const row = `(select ${object} from ${from} where ${join})`;
      return field.type instanceof GraphQLNonNull
        ? `coalesce(${row}, ${giveWay(`${scope.alias}.${quote(sourceColumns[0]!.name)}`, `has no ${field.name}`)})`
        : `coalesce(${row}, 'null')`;
    }
    const orderBy = query!.orderBy as Record<string, 'asc' | 'desc'> | undefined;
    if (!orderBy || !(getNullableType(field.type) instanceof GraphQLList)) give('unordered many');
    return jsonArray(object, orderSql(targetTable, orderBy!, false)(`${target}.`), from, join);
  }
}

// Every value is built as JSON text, compact and with keys in order (row_to_json and json_agg
// would cast and re-check each nested level, json_agg adds spaces). No value may be NULL where
// GraphQL promises one: a non-null field compiles only from a NOT NULL column, and a missing
// row of a non-null relation, or a value the scalar would print differently, fails the
// statement (giveWay), so the request runs as before. (A NULL element would otherwise go
// missing from its list: string_agg skips NULLs.)
/** `{"a":…,"b":…}` from JSON text expressions. Response keys are GraphQL names: nothing to escape. */
const jsonObject = (entries: ReadonlyArray<readonly [string, string]>) =>
  `(${entries.map(([key, value], i) => `'${i === 0 ? '{' : ','}"${key}":' || ${value}`).join(' || ')} || '}')`;
/** `[a,b]` from one JSON text element per row of `from`, in `order`. */
const jsonArray = (element: string, order: string, from: string, where = 'true') =>
  `(select '[' || coalesce(string_agg(${element}, ',' order by ${order}), '') || ']' from ${from} where ${where})`;
/** Fails the statement: a value graphql-js would print or refuse otherwise (NULL stays NULL). */
const giveWay = (value: string, reason: string) => `((${value})::text || ${literal(` ${reason}: the compiled read gives way`)})::int::text`;
const jsonString = (text: string) => literal(JSON.stringify(text));
/** JSON null where GraphQL allows it. */
const nullable = (type: GraphQLOutputType, value: string) => (type instanceof GraphQLNonNull ? value : `coalesce(${value}, 'null')`);

function tableOf(type: GraphQLObjectType): Table {
  const model = type.extensions?.pothosDrizzleModel;
  if (typeof model !== 'string' || !RELATIONS[model] || hasAuthScopes(type.extensions)) give(`${type.name} is not a table`);
  return RELATIONS[model as string]!.table;
}

function hasAuthScopes(extensions: Readonly<Record<string, unknown>> | null | undefined): boolean {
  const options = extensions?.pothosOptions as Record<string, unknown> | undefined;
  return Boolean(options && ('authScopes' in options || 'grantScopes' in options));
}

function orderSql(table: Table, orderBy: Record<string, 'asc' | 'desc'>, tieBreaker: boolean) {
  const columns = getTableColumns(table);
  const entries = Object.entries(orderBy).map(([name, direction]) => {
    const column = columns[name] ?? give(`order by ${name}`);
    return [column.name, direction] as const;
  });
  if (tieBreaker) {
    for (const column of Object.values(columns)) {
      if (column.primary && !entries.some(([name]) => name === column.name)) entries.push([column.name, 'asc']);
    }
  }
  return (prefix: string) => entries.map(([name, direction]) => `${prefix}${quote(name)} ${direction}`).join(', ');
}

function scalar(type: GraphQLOutputType, column: Column, prefix: string): string {
  if (type instanceof GraphQLNonNull && !column.notNull) give('nullable column behind a non-null field');
  const named = getNullableType(type);
  const expression = `${prefix}${quote(column.name)}`;
  if (named instanceof GraphQLEnumType) {
    if (!['PgVarchar', 'PgText'].includes(column.columnType)) give('enum column');
    const cases = named.getValues().map((value) => `when ${literal(String(value.value))} then ${jsonString(value.name)}`);
    // A stored value the enum lacks fails the statement, so graphql-js answers with its error.
    return nullable(type, `(case ${expression} ${cases.join(' ')} else ${giveWay(expression, `is not a ${named.name}`)} end)`);
  }
  if ((named as { name: string }).name === 'DateTime') return nullable(type, dateTime(column, expression));
  const allowed = SCALAR_COLUMNS[(named as { name: string }).name];
  if (!allowed?.has(column.columnType)) give(`${column.columnType} as ${String(named)}`);
  const json =
    column.columnType === 'PgUUID'
      ? `'"' || ${expression}::text || '"'`
      : named === GraphQLString || named === GraphQLID
        ? `to_json(${expression})::text`
        : `${expression}::text`;
  return nullable(type, `(${json})`);
}

/**
 * A timestamptz of at most millisecond precision as the DateTime scalar prints it
 * (`Date#toISOString`). Outside years 1 to 9999, where toISOString writes other digits, the
 * request runs as before.
 */
function dateTime(column: Column, expression: string): string {
  const { withTimezone, precision } = column as Column & { withTimezone?: boolean; precision?: number };
  if (column.columnType !== 'PgTimestamp' || !withTimezone || precision === undefined || precision > 3) give('DateTime column');
  return `(case when ${expression} >= '0001-01-01Z' and ${expression} < '10000-01-01Z' then '"' || to_char(${expression} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"' else ${giveWay(expression, 'is out of range')} end)`;
}

// Per parsed document (Yoga's parser cache hands out the same one for the same text), per operation.
const plans = new WeakMap<DocumentNode, Map<string | undefined, Plan | null>>();

function planOf(args: ExecutionArgs, operation: OperationDefinitionNode): Plan | null {
  let byOperation = plans.get(args.document);
  if (!byOperation) plans.set(args.document, (byOperation = new Map()));
  const name = args.operationName ?? undefined;
  let plan = byOperation.get(name);
  if (plan === undefined) {
    plan = compile(args.schema, args.document, operation);
    byOperation.set(name, plan);
  }
  return plan;
}

type Client = import('postgres').Sql | import('@electric-sql/pglite').PGlite;

/** The database's own client (postgres.js or PGlite); none for a transaction. */
const clientOf = (db: Database) => (db as { $client?: Client }).$client;

/** The plan's parameter values for `variables`, or null when the request must run as before. */
function valuesOf(schema: GraphQLSchema, operation: OperationDefinitionNode, plan: Plan, variables: Record<string, unknown>) {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return null;
  const values: number[] = [];
  for (const param of plan.params) {
    const value = param(coerced.coerced);
    if (value === null) return null;
    values.push(value);
  }
  return values;
}

/** Runs the statement; its body as the bytes PostgreSQL sent (postgres.js) or as text (PGlite). */
async function bodyOf(client: Client, plan: Plan, values: number[], statements?: StatementCount): Promise<Buffer | string> {
  recordStatement(plan.text, statements);
  const body =
    'unsafe' in client
      ? // Prepared (parsed and planned once per connection); the body's bytes as they arrive, undecoded.
        ((await client.unsafe(plan.text, values, { prepare: true }).raw())[0] as unknown as Array<Buffer | null>)[0]
      : (await client.query<{ body: string | null }>(plan.text, values)).rows[0]?.body;
  // NULL where GraphQL promised a value: the request runs as before and gets graphql-js's error.
  if (body == null) throw new Error('the compiled read returned no body');
  return body;
}

// Requests whose document Yoga has parsed, validated and run compiled, by operation name and
// text: the node:http listener answers the same request again without Yoga (answerCompiled).
const validated = new Map<string, { operation: OperationDefinitionNode; plan: Plan; schema: GraphQLSchema }>();
const MAX_VALIDATED = 500;
const MAX_VALIDATED_TEXT = 16_384;
const validatedKey = (operationName: string | null | undefined, text: string) => `${operationName ?? ''}\u0000${text}`;

/**
 * The result of `args` from one statement, or null when the request is not one this
 * compiles (it then runs as before). The statement depends only on the document; the
 * page sizes are its parameters.
 */
export function executeAsSql(args: ExecutionArgs, db: Database): Promise<ExecutionResult> | null {
  const client = clientOf(db);
  if (!client) return null;
  const operation = operationOf(args);
  const plan = operation && planOf(args, operation);
  const values = plan && valuesOf(args.schema, operation, plan, args.variableValues ?? {});
  if (!values) return null;
  // Registered for the node:http listener; a long text (whitespace is free) is not kept.
  const text = args.document.loc?.source.body;
  if (text !== undefined && text.length <= MAX_VALIDATED_TEXT) {
    const key = validatedKey(args.operationName, text);
    if (!validated.has(key) && validated.size >= MAX_VALIDATED) validated.delete(validated.keys().next().value!);
    validated.set(key, { operation: operation!, plan: plan!, schema: args.schema });
  }
  return bodyOf(client, plan!, values, (args.contextValue as { statements?: StatementCount } | undefined)?.statements).then(resultOf);
}

/**
 * The body for a POSTed request that Yoga has already validated and run compiled (the same
 * operation name and text), or null to hand it to Yoga. Its variables may only be the page
 * sizes the statement takes: numbers, so no text the request guard would refuse.
 */
export function answerCompiled(
  { db, metrics }: { db: Database; metrics: Metrics },
  params: { query?: unknown; operationName?: string | null; variables?: Record<string, unknown> | null },
): Promise<Buffer | string> | null {
  const client = clientOf(db);
  if (!client || typeof params.query !== 'string') return null;
  const known = validated.get(validatedKey(params.operationName, params.query));
  if (!known) return null;
  const variables = params.variables ?? {};
  const declared = new Set(known.operation.variableDefinitions?.map((definition) => definition.variable.name.value));
  for (const [name, value] of Object.entries(variables)) {
    if (!declared.has(name) || (value !== null && typeof value !== 'number')) return null;
  }
  const values = valuesOf(known.schema, known.operation, known.plan, variables);
  if (!values) return null;
  const started = performance.now();
  return bodyOf(client, known.plan, values).then((body) => {
    // Counted as the metrics plugin counts the operations Yoga runs.
    metrics.observeOperation(known.operation.name?.value, 1, (performance.now() - started) / 1000);
    metrics.answeredBeforeYoga.inc({ way: 'compiled' });
    return body;
  });
}

function resultOf(body: Buffer | string): ExecutionResult {
  return {
    get data() {
      return (JSON.parse(body.toString()) as { data: Record<string, unknown> }).data;
    },
    // Yoga writes a result with `stringify` through it: the body goes out as PostgreSQL built it.
    stringify: () => body,
  } as ExecutionResult;
}

function operationOf({ document, operationName }: ExecutionArgs): OperationDefinitionNode | null {
  const operation = getOperationAST(document, operationName);
  return operation?.operation === 'query' ? operation : null;
}

function compile(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Plan | null {
  if (hasDirectives(document)) return null;
  const compiler = new Compiler(schema, document);
  let text: string;
  try {
    text = compiler.root(operation);
  } catch {
    // NotCompilable, or anything the schema holds that the compiler did not foresee (a
    // relation query that needs the request's context): the document runs as before.
    return null;
  }
  // Each placeholder becomes $1, $2, … in the order they appear.
  const params: Param[] = [];
  const numbered = text.replace(/\u27e8(\d+)\u27e9/g, (_, index: string) => `$${params.push(compiler.params[Number(index)]!)}`);
  return { text: numbered, params };
}

function hasDirectives(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive() {
      found = true;
    },
  });
  return found;
}
