/**
 * Model substitution on fallback (issue 5 §4): the request goes out with the fallback model, and
 * each line of the answer (NDJSON, SSE `data:` events or one JSON body) gets the model the client
 * asked for back, so clients that check the name keep working; the `x-inference-mesh-model` header
 * says which model ran.
 */
export function rewriteRequestModel(body: Buffer, model: string): Buffer {
  const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  json.model = model;
  if ('name' in json) json.name = model;
  return Buffer.from(JSON.stringify(json));
}

export function responseModelRewriter(ran: string, asked: string): (line: string) => string {
  const fix = (json: string): string => {
    try {
      const obj = JSON.parse(json) as Record<string, unknown>;
      if (obj.model === ran) obj.model = asked;
      return JSON.stringify(obj);
    } catch {
      return json;
    }
  };
  return (line) => {
    if (line.startsWith('data: ')) {
      const payload = line.slice(6);
      return payload === '[DONE]' ? line : `data: ${fix(payload)}`;
    }
    return line.trim().startsWith('{') ? fix(line) : line;
  };
}
