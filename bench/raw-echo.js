// The baseline for the benchmark: the least a bot can do, with no mmbot code — a raw WebSocket
// that answers each `posted` with one REST create in the thread. mmbot's overhead is measured
// against this. Requests go over node:http keep-alive connections (Node 20's global fetch would
// make the baseline measure undici more than the server).
import http from "node:http";
import WebSocket from "ws";

const url = process.env.MATTERMOST_URL;
const token = process.env.MATTERMOST_BOT_TOKEN;
const agent = new http.Agent({ keepAlive: true });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { Authorization: `Bearer ${token}` };
    if (payload !== undefined)
      Object.assign(headers, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(payload),
      });
    const req = http.request(`${url}/api/v4${path}`, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const me = JSON.parse(await request("GET", "/users/me"));
const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/v4/websocket`, {
  headers: { Authorization: `Bearer ${token}` },
});
ws.on("message", (raw) => {
  const frame = JSON.parse(String(raw));
  if (frame.event === "hello") console.log("connected");
  if (frame.event !== "posted") return;
  const post = JSON.parse(frame.data.post);
  if (post.user_id === me.id) return;
  void request("POST", "/posts", {
    channel_id: post.channel_id,
    root_id: post.root_id || post.id,
    message: `echo ${post.message}`,
  });
});
process.on("SIGTERM", () => process.exit(0));
