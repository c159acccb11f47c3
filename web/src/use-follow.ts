/**
 * Keeps a scrolling list at its newest item, as Mattermost's post lists do: scrolled to the end
 * when an item arrives, `key` changes (another channel, another thread) or the list is resized,
 * unless the user has scrolled up to read, in which case the list stays where they are.
 */
import { useLayoutEffect, useRef } from "preact/hooks";

/** How close to the end still counts as "at the end" (a post's last line half in view). */
const AT_END_PX = 48;

/** `tick` changes when the list grows (or its last item does); `key` names what the list shows. */
export function useFollow<T extends HTMLElement>(tick: string | number, key: string) {
  const ref = useRef<T>(null);
  const atEnd = useRef(true);
  const lastKey = useRef(key);
  useLayoutEffect(() => {
    const box = ref.current;
    if (!box) return;
    if (lastKey.current !== key) (lastKey.current = key), (atEnd.current = true);
    if (atEnd.current) box.scrollTop = box.scrollHeight;
  }, [tick, key]);
  // a list made shorter (a narrower window, a taller message box) keeps its end in view too
  useLayoutEffect(() => {
    const box = ref.current;
    if (!box) return;
    const observer = new ResizeObserver(() => {
      if (atEnd.current) box.scrollTop = box.scrollHeight;
    });
    observer.observe(box);
    return () => observer.disconnect();
  }, []);
  const onScroll = () => {
    const box = ref.current;
    if (box) atEnd.current = box.scrollHeight - box.scrollTop - box.clientHeight < AT_END_PX;
  };
  return { ref, onScroll };
}
