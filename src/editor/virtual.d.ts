/// <reference types="vite/client" />

declare module 'virtual:collapse-lab/engine-dts' {
  /** The engine's declarations wrapped as `declare module "collapse-lab/engine" { … }`. */
  const dts: string;
  export default dts;
}
