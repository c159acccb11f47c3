// Description:
//   Answers for the sandbox test (test/sandbox/client-hubot.test.ts).
//
// Commands:
//   hubot ping me - answers "pong from hubot" in the thread
//   hello hubot - greets the sender in the channel
module.exports = (robot) => {
  robot.respond(/ping me/i, (res) => res.reply("pong from hubot"));
  robot.hear(/hello hubot/i, (res) => res.send(`hi ${res.message.user.name}`));
};
