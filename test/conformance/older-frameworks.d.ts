// The oldest supported Express and Koa, installed under aliases: typed as the current ones (same API used).
declare module 'express-4-18' {
  import type express from 'express'

  const createApp: typeof express
  export default createApp
}
declare module 'koa-2-14' {
  import type Koa from 'koa'

  const KoaClass: typeof Koa
  export default KoaClass
}
