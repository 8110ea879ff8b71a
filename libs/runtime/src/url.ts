/** The URL with its password (if any) shown as `***`, for start-up banners and logs. Throws for a malformed URL. */
export function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
