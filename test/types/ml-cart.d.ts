// ml-cart ships no types; the equivalence test uses only this much of it.
declare module 'ml-cart' {
  export class DecisionTreeClassifier {
    constructor(options?: Record<string, unknown>);
    train(X: number[][], y: number[]): void;
    predict(X: number[][]): number[];
    toJSON(): unknown;
  }
}
