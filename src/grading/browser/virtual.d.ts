/** Provided by ./vite-plugin.ts (graderRunner): URLs of the runner host page and the worker bundle. */
declare module 'virtual:grader-runner' {
  /** The sandboxed runner host page (HTML with its own CSP meta tag). */
  export const hostUrl: string;
  /** The grading worker as one classic script (fetched as text and started from a blob: URL by the host). */
  export const workerUrl: string;
}
