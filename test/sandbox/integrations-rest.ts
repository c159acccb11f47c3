/** A small REST caller for the integration tests: status, content type and parsed body. */
export interface ApiResult {
  status: number;
  contentType: string | null;
  body: unknown;
  text: string;
}

export async function api(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  contentType = "application/json",
): Promise<ApiResult> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = contentType;
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, contentType: res.headers.get("content-type"), body: parsed, text };
}
