import { useEffect, useLayoutEffect, useRef } from 'react';

// A layout effect updates the ref before any event handler of the committed render can run;
// on the server React 18 warns about useLayoutEffect (there is no layout there, and no events),
// so the server takes the plain effect, which it never runs either.
const useIsomorphicLayoutEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/**
 * A ref that always holds the value of the latest committed render: a subscription set up
 * once can call the app's newest callback without subscribing again on every render.
 *
 * @internal
 */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useIsomorphicLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
