/** What the sign-in form refuses before asking the node (the node checks again). */
export function signInProblem(username: string, password: string): 'needUsername' | 'needPassword' | undefined {
  if (username.trim() === '') return 'needUsername';
  if (password === '') return 'needPassword';
  return undefined;
}

/** A `?next=` path inside the console only (never another origin: `//evil`, `https:`…). */
export function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/sign-in')) return undefined;
  return next.length <= 2048 ? next : undefined;
}
