/** Longest handle the node accepts (bytes of UTF-8 ≤ 255; characters is close enough for a form). */
export const MAX_HANDLE_LENGTH = 255;

export type HandleInputProblem = 'empty' | 'tooLong' | 'notAHandle';

/**
 * What a partner typed or pasted, as a handle: `88.118.8/ABC`, `hdl:88.118.8/ABC`, or the URL a QR
 * label carries (`https://node.example/88.118.8/ABC?noredirect`, or a console trace link). A handle
 * is a prefix (digit first, a dot in it) and a suffix after the first slash.
 */
export function handleFromInput(raw: string): { handle: string } | { problem: HandleInputProblem } {
  let text = raw.trim();
  if (text === '') return { problem: 'empty' };
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { problem: 'notAHandle' };
    }
    text = decodePath(url.pathname.replace(/^\/console\/partner\/trace\//, '/').slice(1));
  }
  text = text.replace(/^hdl:/i, '');
  if (text.length > MAX_HANDLE_LENGTH) return { problem: 'tooLong' };
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1 || !/^[0-9][^/]*\.[^/]*$/.test(text.slice(0, slash))) return { problem: 'notAHandle' };
  return { handle: text };
}

/** The console path of a handle's trace page (each segment encoded, slashes kept). */
export function tracePath(handle: string): string {
  return `/partner/trace/${handle.split('/').map(encodeURIComponent).join('/')}`;
}

/** The API path of a trace (the handle unencoded apart from what a URL path cannot hold). */
export function traceApiPath(handle: string, direction: 'back' | 'forward', depth: number): string {
  return `/api/v1/trace/${handle.split('/').map(encodeURIComponent).join('/')}?direction=${direction}&depth=${depth}`;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
