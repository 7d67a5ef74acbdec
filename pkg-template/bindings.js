// What the React and Vue bindings share; bundled into each of them, never shipped alone.

/** Whether the page is an authorization response (`code` or `error`, with `state`), in the query or the fragment. */
export const hasAuthParams = (l = location) => /[?&](code|error)=/.test(l.search) && /[?&]state=/.test(l.search)
  || /[#&](code|error)=/.test(l.hash) && /[#&]state=/.test(l.hash);

/** Whether two users (claims as JSON) are the same: a refresh that keeps the profile changes nothing. */
export const sameUser = (a, b) => JSON.stringify(a) === JSON.stringify(b);
