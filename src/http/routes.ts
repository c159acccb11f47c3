/**
 * The HTTP receiver's routes, relative to where it is mounted (the public URL's path). Defined
 * once: the receiver matches them, signing points buttons and dialogs at them, setup and doctor
 * register and probe them.
 */

export const ROUTES = {
  healthz: "/healthz",
  outgoingWebhook: "/hooks/outgoing",
  slash: "/slash",
  /** followed by `/<action id>` */
  actions: "/actions",
  dialogs: "/dialogs",
} as const;

/** A request's route: what the receiver does with it, and the action id of a click. */
export type Route =
  | { name: "healthz" | "outgoingWebhook" | "slash" | "dialogs" }
  | { name: "action"; actionId: string };

const ACTION_PREFIX = `${ROUTES.actions}/`;

/** The route a method and path (relative to the mount point) name, if any. */
export function matchRoute(method: string, path: string): Route | undefined {
  switch (path) {
    case ROUTES.slash:
      return method === "POST" || method === "GET" ? { name: "slash" } : undefined;
    case ROUTES.outgoingWebhook:
      return method === "POST" ? { name: "outgoingWebhook" } : undefined;
    case ROUTES.dialogs:
      return method === "POST" ? { name: "dialogs" } : undefined;
    case ROUTES.healthz:
      return method === "GET" || method === "HEAD" ? { name: "healthz" } : undefined;
  }
  if (method !== "POST" || !path.startsWith(ACTION_PREFIX)) return undefined;
  const actionId = path.slice(ACTION_PREFIX.length);
  return actionId && !actionId.includes("/") ? { name: "action", actionId } : undefined;
}

/** The path part of a public URL without its trailing slash: `""` at a host's root, `/mattermost` when mounted there. */
export function mountPathOf(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, "");
}

/**
 * A request's path relative to the mount point. Some hosts hand over the full path (node:http,
 * a proxy that keeps the prefix), others strip their mount path first (Express `app.use(path)`,
 * Hono `app.mount`), so a path that is already a route is taken as it is.
 */
export function relativePath(method: string, path: string, mountPath: string): string {
  if (!mountPath || !path.startsWith(`${mountPath}/`) || matchRoute(method, path)) return path;
  return path.slice(mountPath.length);
}

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, "");

/** Where Mattermost calls each route, given the receiver's public URL. */
export const routeUrls = {
  healthz: (publicUrl: string) => `${base(publicUrl)}${ROUTES.healthz}`,
  slash: (publicUrl: string) => `${base(publicUrl)}${ROUTES.slash}`,
  outgoingWebhook: (publicUrl: string) => `${base(publicUrl)}${ROUTES.outgoingWebhook}`,
  action: (publicUrl: string, actionId: string) => `${base(publicUrl)}${ACTION_PREFIX}${actionId}`,
  dialogs: (publicUrl: string, query: URLSearchParams) =>
    `${base(publicUrl)}${ROUTES.dialogs}?${query.toString()}`,
};
