/** A user's picture, drawn by the sandbox (an initial, or a robot's face for a bot): no emoji font needed. */
export function Avatar(props: { userId: string | undefined; size?: number }) {
  const size = props.size ?? 36;
  if (!props.userId) return <span class="avatar" aria-hidden="true" />;
  return (
    <img
      class="avatar"
      src={`/sandbox/users/${encodeURIComponent(props.userId)}/avatar.svg`}
      width={size}
      height={size}
      alt=""
    />
  );
}
