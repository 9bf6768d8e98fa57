#!/usr/bin/env node
/**
 * Fails when `any` leaks out of a package's public types, as a consumer sees them.
 *
 *   node scripts/check-no-any.mjs [--tsc] <tsconfig.json> [module=voxplay]
 *
 * With --tsc it also reports the project's compile errors, like `tsc --noEmit -p`, from the
 * same program (one type check instead of two).
 *
 * Loads the consumer project described by the tsconfig, resolves `module` from it the way an
 * `import ... from 'voxplay'` there would (so the consumer's moduleResolution applies), and
 * walks every exported value and type: properties, call and construct signatures (parameters
 * and return types), type arguments, index signatures, unions, type parameters' constraints.
 * Private and protected members are skipped; built-in DOM/ES types are not entered (only
 * their type arguments are checked). Any `any` found, including the "error" type an
 * unresolved import turns into, is printed with its path and the script exits with 1.
 */
import ts from 'typescript';
import { dirname, resolve } from 'node:path';

const args = process.argv.slice(2);
const withTsc = args.includes('--tsc');
const [configArg, moduleName = 'voxplay'] = args.filter((a) => a !== '--tsc');
if (!configArg) {
  console.error('usage: node scripts/check-no-any.mjs [--tsc] <tsconfig.json> [module]');
  process.exit(2);
}
const configPath = resolve(configArg);
const parsed = ts.getParsedCommandLineOfConfigFile(
  configPath,
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) },
);
const containing = resolve(dirname(configPath), '__consumer__.ts');
const resolution = ts.resolveModuleName(moduleName, containing, parsed.options, ts.sys).resolvedModule;
if (!resolution)
  fail(`cannot resolve "${moduleName}" from ${dirname(configPath)} with moduleResolution ${ts.ModuleResolutionKind[parsed.options.moduleResolution ?? 0]}`);
const program = ts.createProgram({ rootNames: [...parsed.fileNames, resolution.resolvedFileName], options: parsed.options });
const checker = program.getTypeChecker();
if (withTsc) {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dirname(configPath), getNewLine: () => '\n' };
    console.error(ts.formatDiagnostics(diagnostics, host));
    fail(`${diagnostics.length} compile error(s) in ${configArg}`);
  }
}
const entry = program.getSourceFile(resolution.resolvedFileName);
const moduleSymbol = entry && checker.getSymbolAtLocation(entry);
if (!moduleSymbol) fail(`${resolution.resolvedFileName} is not a module`);

const problems = [];
const seen = new Set();
let typesVisited = 0;

const isLibDecl = (decl) => program.isSourceFileDefaultLibrary(decl.getSourceFile()) || /[\\/]typescript[\\/]lib[\\/]/.test(decl.getSourceFile().fileName);
const isLibType = (type) => {
  const decls = (type.aliasSymbol ?? type.getSymbol())?.getDeclarations() ?? [];
  return decls.length > 0 && decls.every(isLibDecl);
};
const isHidden = (prop) =>
  prop.getName().startsWith('#') ||
  (prop.getDeclarations() ?? []).some((d) => (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0);

function visit(type, path, depth = 0) {
  if (type.flags & ts.TypeFlags.Any) {
    problems.push(`${path}: ${checker.typeToString(type)}`);
    return;
  }
  if (seen.has(type) || depth > 40) return;
  seen.add(type);
  typesVisited++;
  if (type.isUnionOrIntersection()) {
    type.types.forEach((t) => visit(t, `${path}|`, depth + 1));
    return;
  }
  if (type.flags & ts.TypeFlags.TypeParameter) {
    const constraint = checker.getBaseConstraintOfType(type);
    if (constraint && constraint !== type) visit(constraint, `${path}<constraint>`, depth + 1);
    return;
  }
  if (type.flags & ts.TypeFlags.IndexedAccess) {
    visit(type.objectType, `${path}<object>`, depth + 1);
    visit(type.indexType, `${path}<index>`, depth + 1);
    return;
  }
  if (type.flags & ts.TypeFlags.Index) {
    visit(type.type, `${path}<keyof>`, depth + 1);
    return;
  }
  if (!(type.flags & ts.TypeFlags.Object)) return;
  if (type.objectFlags & ts.ObjectFlags.Reference) {
    checker.getTypeArguments(type).forEach((t, i) => visit(t, `${path}<${i}>`, depth + 1));
  }
  if (isLibType(type)) return;
  for (const prop of checker.getPropertiesOfType(type)) {
    if (isHidden(prop)) continue;
    const decl = prop.valueDeclaration ?? prop.getDeclarations()?.[0];
    if (decl && isLibDecl(decl)) continue;
    visit(checker.getTypeOfSymbol(prop), `${path}.${prop.getName()}`, depth + 1);
  }
  for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct]) {
    for (const sig of checker.getSignaturesOfType(type, kind)) {
      const name = kind === ts.SignatureKind.Construct ? 'new' : '';
      sig.getTypeParameters()?.forEach((tp) => visit(tp, `${path}${name}<${tp.symbol.getName()}>`, depth + 1));
      for (const param of sig.getParameters()) visit(checker.getTypeOfSymbol(param), `${path}${name}(${param.getName()})`, depth + 1);
      visit(sig.getReturnType(), `${path}${name}()=>`, depth + 1);
    }
  }
  for (const info of checker.getIndexInfosOfType(type)) {
    visit(info.keyType, `${path}[key]`, depth + 1);
    visit(info.type, `${path}[]`, depth + 1);
  }
}

const exports = checker.getExportsOfModule(moduleSymbol);
for (const exported of exports) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const name = exported.getName();
  if (symbol.flags & (ts.SymbolFlags.Type | ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) visit(checker.getDeclaredTypeOfSymbol(symbol), name);
  if (symbol.flags & ts.SymbolFlags.Value) visit(checker.getTypeOfSymbol(symbol), name);
}
if (exports.length === 0) problems.push(`"${moduleName}" (${resolution.resolvedFileName}) exports nothing`);

if (problems.length > 0) {
  console.error(`any in the public types of "${moduleName}" (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`no any: ${exports.length} exports of "${moduleName}" (${resolution.resolvedFileName}), ${typesVisited} types checked`);

function fail(message) {
  console.error(message);
  process.exit(1);
}
