// How a flush is cut into script calls: in order, even sizes, never more than the cap, never an item split.
import { describe, expect, it } from 'vitest'
import { evenCalls } from '../src/call-batcher.js'

const one = () => 1
const sizes = (calls: number[][]) => calls.map((call) => call.reduce((sum, size) => sum + size, 0))
const count = (n: number, size = 1) => Array.from({ length: n }, () => size)

describe('evenCalls', () => {
  it('keeps a flush within the cap whole', () => {
    expect(evenCalls(count(10), one, 1, 128)).toEqual([count(10)])
  })

  it('cuts single decisions into even calls of at most the cap, in order', () => {
    const items = Array.from({ length: 100 }, (_, i) => i)
    const calls = evenCalls(items, one, 1, 30)
    expect(calls.map((call) => call.length)).toEqual([25, 25, 25, 25])
    expect(calls.flat()).toEqual(items)
  })

  it('makes at least minCalls calls', () => {
    expect(evenCalls(count(40), one, 2, 128).map((call) => call.length)).toEqual([20, 20])
  })

  it('never splits an item: groups fill a call up to its share or the cap', () => {
    expect(sizes(evenCalls(count(3, 2), (size) => size, 1, 5))).toEqual([4, 2])
    expect(sizes(evenCalls([3, 3, 3, 3], (size) => size, 1, 5))).toEqual([3, 3, 3, 3])
    expect(sizes(evenCalls([1, 2, 1, 2, 1, 2], (size) => size, 2, 128))).toEqual([6, 3])
  })

  it('sends an item larger than the cap alone', () => {
    expect(sizes(evenCalls([2, 9, 2], (size) => size, 1, 5))).toEqual([2, 9, 2])
  })
})
