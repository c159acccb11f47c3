// The baseline for the benchmark: the least a bot can do, with no mmbot code — a raw WebSocket
// that answers each `posted` with one REST create in the thread. mmbot's overhead is measured
// against this.
import WebSocket from "ws";

const url = process.env.MATTERMOST_URL;
const token = process.env.MATTERMOST_BOT_TOKEN;
const me = await (await fetch(`${url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } })).json();
const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/v4/websocket`, { headers: { Authorization: `Bearer ${token}` } });
ws.on("message", (raw) => {
  const frame = JSON.parse(String(raw));
  if (frame.event === "hello") console.log("connected");
  if (frame.event !== "posted") return;
  const post = JSON.parse(frame.data.post);
  if (post.user_id === me.id) return;
  void fetch(`${url}/api/v4/posts`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ channel_id: post.channel_id, root_id: post.root_id || post.id, message: `echo ${post.message}` }),
  });
});
process.on("SIGTERM", () => process.exit(0));
