import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * graphql-js quotes the offending value in many messages ("Variable "$input" got invalid
 * value …", "String cannot represent a non string value: …", "found "…"", "Unexpected
 * String "…""), and that value can be a password. These rewrites keep the rule and the
 * place and drop the value; any other long quotation is cut short.
 */
const VARIABLE = /^Variable "(\$\w+)" got invalid value [\s\S]*?(?: at "([\w.[\]]+)")?; ([\s\S]*)$/;
const REASON = /^(\w+) cannot represent|^Expected type "([^"]{1,80})"|^Field "(\w{1,64})" of required type "([^"]{1,80})" was not provided/;

function reasonWithoutValue(reason: string): string {
  const match = reason.match(REASON);
  if (!match) return '';
  if (match[1]) return ` Expected ${match[1]}.`;
  if (match[2]) return ` Expected ${match[2]}.`;
  return ` Field "${match[3]}" of required type "${match[4]}" was not provided.`;
}

export function withoutEchoes(message: string): string {
  const variable = message.match(VARIABLE);
  if (variable) {
    const [, name, at, reason] = variable;
    return `Variable "${name}" got an invalid value${at ? ` at "${at}"` : ''}.${reasonWithoutValue(reason!)}`;
  }
  return message
    .replace(/(cannot represent[^:]*): [\s\S]*$/, '$1.')
    .replace(/, found [\s\S]*$/, '.')
    .replace(/((?:Block)?String) "[\s\S]*$/, '$1.')
    .replace(/^Invalid cursor[\s\S]*$/, 'Invalid cursor.')
    .replace(/ (Name|Int|Float) "[^"]*"/g, ' $1')
    .replace(/"[^"]{65,}"/g, '"…"');
}

/** The same error with its message stripped of echoed input. */
export function withoutEchoedInput(error: GraphQLError): GraphQLError {
  const message = withoutEchoes(error.message);
  if (message === error.message) return error;
  return new GraphQLError(message, { nodes: error.nodes, path: error.path, extensions: error.extensions });
}

/** Validation errors skip the masking step: strip their echoes as they are made. */
export function useNoEchoes(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((error) => (error instanceof GraphQLError ? withoutEchoedInput(error) : error)));
      };
    },
  };
}
