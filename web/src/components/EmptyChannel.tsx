/**
 * A channel with nothing said yet: what to type to get going. The page knows the bots (the
 * sandbox's users) and the team's slash commands, not what each bot understands, so it
 * suggests what most bots answer: `help`, to each bot and after each command.
 */
import type { Channel } from "../types";
import { useStore } from "../use-store";

const MOST_SHOWN = 4;

export function EmptyChannel(props: { channel: Channel }) {
  const store = useStore();
  const s = store.state;
  const partner =
    props.channel.type === "D" ? s.users.get(store.directPartner(props.channel)) : undefined;
  const bots = [...s.users.values()].filter((u) => u.is_bot);
  const tries = [
    // in a DM with a bot no mention is needed; elsewhere the bot answers a mention
    ...(partner?.is_bot ? ["help"] : partner ? [] : bots.map((b) => `@${b.username} help`)),
    ...s.commands.map((c) => `/${c.trigger} help`),
  ].slice(0, MOST_SHOWN);
  const place = partner
    ? `your conversation with ${partner.username}`
    : store.channelName(props.channel);
  return (
    <section class="empty-channel" aria-label="Nothing here yet">
      <h2>This is the start of {place}</h2>
      {tries.length > 0 ? (
        <>
          <p>Try one of these (click to put it in the message box):</p>
          <ul>
            {tries.map((text) => (
              <li key={text}>
                <button class="suggestion" onClick={() => store.suggest(text)}>
                  <code>{text}</code>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>Write a message below, or type / for the team's slash commands.</p>
      )}
    </section>
  );
}
