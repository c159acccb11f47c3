/**
 * `mmbot doctor`'s look at the `[agent]` endpoint: `GET {url}/models` answers, accepts the key,
 * and lists the model. The key is never printed.
 */
import { listModels, ModelError } from "../apps/agent/index.js";
import type { Config } from "./config.js";
import type { CheckResult } from "./setup/check-result.js";

export async function checkAgentEndpoint(
  section: NonNullable<Config["agent"]>,
  apiKey: string | undefined,
  fetchImpl?: typeof fetch,
): Promise<CheckResult> {
  const name = "agent-endpoint";
  const where = `${section.url.replace(/\/+$/, "")}/models`;
  try {
    const models = await listModels({ url: section.url, apiKey, fetch: fetchImpl });
    if (models.includes(section.model))
      return {
        name,
        ok: true,
        label: `agent endpoint ${where} answers and lists the model ${section.model}`,
      };
    const listed = models.length
      ? models.slice(0, 10).join(", ") + (models.length > 10 ? ", …" : "")
      : "none";
    return {
      name,
      ok: false,
      label: `agent endpoint ${where} does not list the model ${section.model} (it lists: ${listed})`,
      fix: "set agent.model to one of the listed models",
    };
  } catch (error) {
    const failure = error instanceof ModelError ? error : undefined;
    if (failure?.failure === "key") {
      const fix = section.api_key_env
        ? `check the key in the variable ${section.api_key_env} (agent.api_key_env)`
        : "the endpoint wants a key: set agent.api_key_env to the name of the variable holding it";
      return {
        name,
        ok: false,
        label: `agent endpoint ${where} refused the key (HTTP ${failure.details.status})`,
        fix,
      };
    }
    if (failure?.failure === "unreachable")
      return {
        name,
        ok: false,
        label: `agent endpoint ${where} cannot be reached`,
        fix: "check agent.url and that the model server runs",
      };
    const why = failure?.details.status
      ? `HTTP ${failure.details.status}`
      : error instanceof Error
        ? error.message
        : String(error);
    return {
      name,
      ok: false,
      label: `agent endpoint ${where} failed (${why})`,
      fix: "check agent.url: it is the base URL, usually ending in /v1",
    };
  }
}
