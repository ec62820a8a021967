"""`ledger`: the operators' console command.

It runs past 600 lines because each command's parser and handler sit side by side, one small
function each; the integrity commands are in `adapters/chaine_cli.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from adapters.database import ConfigurationError, depuis_url
from adapters.territory_file import TerritoryFileError, load_territory
from domain.erreurs import RefusCommande

RACINE = Path(__file__).resolve().parent.parent
TERRITOIRE_DEMO = RACINE / "territories" / "cannes-pays-de-lerins.toml"


def _territoire(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return load_territory(args.territory or os.environ.get("LEDGER_TERRITORY") or TERRITOIRE_DEMO)


def _registre(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from adapters.registre import Registre

    return Registre(depuis_url(args.database), _territoire(args))


def init(args: argparse.Namespace) -> int:
    """Create the store (on PostgreSQL: as its owner, the schema, grants and read models that
    the servers and followers, running as roles that own nothing, then use)."""
    from adapters import schema
    from adapters.database import sans_mot_de_passe
    from projections.proprietaire import adopter

    registre = _registre(args)
    try:
        if registre.stockage.postgres:
            schema.initialiser(registre)  # again: grants of a store created by an older version
        suiveurs = _suiveurs(registre)  # the read models' tables, created now rather than at start
        donnees = adopter(suiveurs.values()) if registre.stockage.postgres else []
        t = registre.territoire
        ou = registre.stockage.sqlite_path or sans_mot_de_passe(registre.stockage.url)
        print(
            f"ledger ready: {registre.stockage.kind} at {ou}\n"
            f"territory {t.nom} ({t.code}): {len(t.communes)} communes, {len(t.organisations)} "
            f"organisations, {len(t.logements)} dwellings; {registre.position()} events in the log"
        )
        if registre.stockage.postgres:
            print(
                f"roles: {schema.ROLE_ECRIVAIN} (read and append events), {schema.ROLE_MODELES} (owns the "
                "read models); grant both to the servers' and followers' login role"
                + (f"; read models given to {schema.ROLE_MODELES}: {', '.join(donnees)}" if donnees else "")
            )
        from adapters.chaine_cli import annoncer_cle

        annoncer_cle(registre)
    finally:
        registre.close()
    return 0


def jetons(args: argparse.Namespace) -> int:
    t = _territoire(args)
    _afficher_jetons(t)
    return 0


def _afficher_jetons(t) -> None:  # type: ignore[no-untyped-def]
    print("Demo access tokens (Authorization: Bearer <token>) — demo only, never in production:")
    for o in t.organisations:
        kinds = "/".join(sorted(k.value for k in o.types))
        for a in o.agents:
            print(f"  {a.jeton:<28} {o.code:<12} {kinds:<22} {a.nom}")


def serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from adapters.background import BackgroundWork
    from api.app import creer_app
    from projections import modeles

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    registre = _registre(args)
    planifier = not args.no_schedule and os.environ.get("LEDGER_SCHEDULE", "on") != "off"
    fond = BackgroundWork(
        registre, modeles.suiveurs(registre), follow=not args.no_followers, schedule=planifier
    )
    app = creer_app(registre, fond=fond)
    from adapters.chaine_cli import annoncer_cle

    annoncer_cle(registre)
    quoi = []
    if fond.status.followers:
        quoi.append("read models followed in the background")
    if planifier:
        quoi.append("daily schedule at start-up and after each midnight Europe/Paris")
    print(
        f"Serving on http://{args.host}:{args.port} — API docs at http://{args.host}:{args.port}/docs"
        + (f" ({'; '.join(quoi)})" if quoi else " (no background work: reads catch up themselves)")
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", workers=1)
    registre.close()
    return 0


def run(args: argparse.Namespace) -> int:
    init(args)
    _afficher_jetons(_territoire(args))
    return serve(args)


def schedule(args: argparse.Namespace) -> int:
    """What `ledger serve` does each night, by hand or from cron (a served ledger needs neither)."""
    from adapters.planification import planifier, verrou_planification
    from projections import modeles

    registre = _registre(args)
    try:
        jusquau = args.through
        echeances = modeles.suiveur(registre, modeles.ECHEANCES)

        def attendre() -> bool:
            print("another process is running the schedule; waiting for it to end…", file=sys.stderr)
            return True

        with verrou_planification(registre, attendre=attendre):
            rapport = planifier(registre, echeances, jusquau, barre=not args.quiet)
        print(rapport.resume())
    finally:
        registre.close()
    return 0


def _suiveurs(registre):  # type: ignore[no-untyped-def]
    from projections import modeles

    return modeles.suiveurs(registre)


def rebuild(args: argparse.Namespace) -> int:
    from projections.reconstruction import reconstruire_vite

    registre = _registre(args)
    suiveurs = _suiveurs(registre)
    noms = [args.name] if args.name else list(suiveurs)
    for nom in noms:
        if nom not in suiveurs:
            print(f"ledger: unknown read model {nom!r} (known: {', '.join(suiveurs)})", file=sys.stderr)
            return 2
    # One read of the log for all of them, folded by demand ranges across processes
    # (projections/reconstruction.py), then swapped in one transaction.
    n = reconstruire_vite([suiveurs[nom] for nom in noms], processus=args.processes, barre=not args.quiet)
    for nom in noms:
        print(f"rebuilt {nom}: {n} events applied, position {suiveurs[nom].position()}")
    registre.close()
    return 0


def follow(args: argparse.Namespace) -> int:
    """The background work of `ledger serve` without the API: a follower process of its own."""
    import logging
    import threading

    from adapters.background import BackgroundWork

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    registre = _registre(args)
    fond = BackgroundWork(registre, _suiveurs(registre), schedule=args.schedule, interval=args.interval)
    quoi = ", ".join(fond.suiveurs) + (" and the daily schedule" if args.schedule else "")
    print(f"following the log for {quoi} every {args.interval}s (Ctrl-C to stop)")
    fond.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        return 0
    finally:
        fond.stop()
        registre.close()
    return 0


def cotation(args: argparse.Namespace) -> int:
    """An auditor's replay: the score of one demand as of a date, as known at an instant."""
    from datetime import datetime

    import msgspec

    from domain import horloge
    from projections.explication import expliquer

    registre = _registre(args)
    au = date.fromisoformat(args.au) if args.au else horloge.aujourdhui()
    connu_a = datetime.fromisoformat(args.connu_a) if args.connu_a else None
    r = expliquer(registre, args.numero_unique, au, connu_a)
    registre.close()
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(r)).decode())
        return 0
    quand = f"as of {r.au}" + (f", as known at {r.connu_a.isoformat()}" if r.connu_a else "")
    etat = "" if r.active else " (radiated: out of every ranking)"
    print(f"{r.numero_unique} {quand}: {r.points} points, grid {r.version_grille}{etat}")
    for x in r.explications:
        print(f"  {x.points:+5d}  {x.code:<28} {x.detail}")
        for p in x.provenance:
            print(
                f"         event {p.evenement} {p.type} of {p.occurred_on} by {p.organisation}/{p.agent}, "
                f"recorded {p.recorded_at:%Y-%m-%d %H:%M:%S}"
            )
    for rem in r.remarques:
        print(f"      0  {rem['code']:<28} {rem['detail']}")
    return 0


# -- statistics (docs/statistics.md) ----------------------------------------------------------------


def _date(texte: str) -> date:
    try:
        return date.fromisoformat(texte)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{texte!r} is not a date: expected YYYY-MM-DD") from None


def _annee(texte: str) -> int:
    if not (texte.isdigit() and 1 <= int(texte) <= 9999):
        raise argparse.ArgumentTypeError(f"{texte!r} is not a year: expected e.g. 2026")
    return int(texte)


def _au_moins_un(texte: str) -> int:
    if not (texte.isdigit() and int(texte) >= 1):
        raise argparse.ArgumentTypeError(f"{texte!r} is not a number of processes: expected 1 or more")
    return int(texte)


def _instant(texte: str) -> datetime:
    """An ISO 8601 instant; without an offset it is taken as UTC."""
    try:
        t = datetime.fromisoformat(texte)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{texte!r} is not an instant: expected ISO 8601, e.g. 2026-11-23T12:00:00+00:00"
        ) from None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _periode(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from projections.indicateurs import Periode

    p: argparse.ArgumentParser = args.parser
    if args.annee is not None:
        if args.du is not None or args.au is not None:
            p.error("argument --annee: not allowed with --du/--au (give a year, or a period)")
        return Periode.annee(args.annee)
    if args.du is None and args.au is None:
        p.error("a period is required: --annee YYYY, or --du YYYY-MM-DD --au YYYY-MM-DD")
    if args.du is None:
        p.error("argument --du: required with --au (the period's first day)")
    if args.au is None:
        p.error("argument --au: required with --du (the period's last day, included)")
    if args.au < args.du:
        p.error(f"argument --au: the period ends on {args.au} before it starts on --du {args.du}")
    return Periode(args.du, args.au)


def _options_periode(s: argparse.ArgumentParser) -> None:
    s.add_argument("--annee", type=_annee, help="a calendar year, e.g. 2026")
    s.add_argument("--du", type=_date, help="first day of the period, YYYY-MM-DD")
    s.add_argument("--au", type=_date, help="last day of the period (included; stocks are taken on it)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")


def _valeur(f) -> str:  # type: ignore[no-untyped-def]
    if f.valeur is None:
        return "—"
    return {"%": f"{f.valeur} %", "jours": f"{f.valeur} j"}.get(f.unite, str(f.valeur))


def _cible(f) -> str:  # type: ignore[no-untyped-def]
    if f.cible is None:
        return ""
    return f"{'≥' if f.sens == '>=' else '≤'} {f.cible} %"


def tableau(bilan) -> str:  # type: ignore[no-untyped-def]
    """The figures for a terminal: one block per indicator, one line per dimension and key."""
    from projections.indicateurs import LIBELLES

    b = bilan
    source = (
        f"raw log, {b.evenements} events read" if b.source == "journal"
        else f"live read model, {b.evenements} facts stored"
    )
    connu = f", as known at {b.connu_a.isoformat()}" if b.connu_a else ", as known now"
    lignes = [
        f"Territory {b.territoire}, {b.periode.du} to {b.periode.au} (stocks on {b.periode.au}){connu}",
        f"Source: {source}, up to log position {b.position}",
    ]
    entete = ("dimension", "key", "num", "den", "value", "target", "")
    rangs = [
        (f.dimension, f.cle or "—", "" if f.numerateur is None else str(f.numerateur),
         "" if f.denominateur is None else str(f.denominateur), _valeur(f), _cible(f),
         {True: "✓", False: "✗", None: ""}[f.atteinte])
        for f in b.figures
    ]
    larg = [max(len(x[i]) for x in [entete, *rangs]) for i in range(len(entete))]
    droite = {2, 3, 4}

    def formater(x: tuple[str, ...]) -> str:
        return "  " + "  ".join(
            v.rjust(larg[i]) if i in droite else v.ljust(larg[i]) for i, v in enumerate(x)
        ).rstrip()

    courant = None
    for f, r in zip(b.figures, rangs, strict=True):
        if f.indicateur != courant:
            courant = f.indicateur
            lignes += ["", f"{f.indicateur} — {LIBELLES.get(f.indicateur, '')} ({f.unite})", formater(entete)]
        lignes.append(formater(r))
    return "\n".join(lignes) + "\n"


def _ecrire_sortie(donnees: bytes, sortie: str | None) -> None:
    if sortie:
        Path(sortie).write_bytes(donnees)
        print(f"wrote {sortie}", file=sys.stderr)
        return
    sys.stdout.flush()
    tampon = getattr(sys.stdout, "buffer", None)
    if tampon is None:
        sys.stdout.write(donnees.decode("utf-8"))
    else:
        tampon.write(donnees)
        tampon.flush()


def statistiques(args: argparse.Namespace) -> int:
    """Every indicator of a period, from the raw log (default) or the live read model."""
    from adapters.exports import en_csv, en_json, noms_du_territoire
    from projections import modeles
    from projections.journal import regenerer
    from projections.vue_statistiques import bilan_vue

    periode = _periode(args)
    if args.connu_a is not None and args.source == "vue":
        args.parser.error(
            "argument --connu-a: needs --source journal (the live read model answers as known now only)"
        )
    registre = _registre(args)
    try:
        if args.source == "vue":
            modeles.suiveur(registre, modeles.STATISTIQUES).suivre(barre=not args.quiet)
            bilan = bilan_vue(registre.engine, registre.territoire, periode)
        else:
            bilan = regenerer(
                registre.engine, registre.stockage, registre.territoire, periode,
                connu_a=args.connu_a, barre=not args.quiet,
            )
    finally:
        registre.close()
    if args.format == "csv":
        donnees = en_csv(bilan, noms_du_territoire(registre.territoire))
    elif args.format == "json":
        donnees = en_json(bilan) + b"\n"
    else:
        donnees = tableau(bilan).encode("utf-8")
    _ecrire_sortie(donnees, args.sortie)
    return 0


def _figure_courte(f) -> str:  # type: ignore[no-untyped-def]
    if f is None:
        return "absent"
    if f.numerateur is not None and f.denominateur is not None:
        return f"{f.numerateur}/{f.denominateur} = {_valeur(f)}"
    if f.denominateur is not None:  # waiting times: the value over so many baux
        return f"{_valeur(f)} over {f.denominateur}"
    return _valeur(f)


def verifier_statistiques(args: argparse.Namespace) -> int:
    """The live read model against the raw log up to the same position: exit 1 on any difference."""
    from projections import modeles
    from projections.vue_statistiques import confronter

    periode = _periode(args)
    registre = _registre(args)
    try:
        suiveur = modeles.suiveur(registre, modeles.STATISTIQUES)
        _, vue, ecarts = confronter(registre, periode, suiveur, barre=not args.quiet)
    finally:
        registre.close()
    for e in ecarts:
        print(
            f"{e.indicateur} {e.dimension} {e.cle or '—'}: raw log {_figure_courte(e.journal)}, "
            f"read model {_figure_courte(e.vue)}"
        )
    pluriel = "difference" if len(ecarts) == 1 else "differences"
    print(
        f"{len(ecarts)} {pluriel} between the raw log and the read model, {periode.du} to {periode.au}, "
        f"at log position {vue.position}"
    )
    return 1 if ecarts else 0


def bilan(args: argparse.Namespace) -> int:
    """The annual bilan: CSV, JSON and charts of a year, regenerated from the raw log."""
    import inspect

    from adapters.exports import en_csv, en_json, noms_du_territoire
    from projections.indicateurs import Periode
    from projections.journal import regenerer

    dossier = Path(args.dossier)
    registre = _registre(args)
    try:
        b = regenerer(
            registre.engine, registre.stockage, registre.territoire, Periode.annee(args.annee),
            barre=not args.quiet,
        )
        territoire = registre.territoire
    finally:
        registre.close()
    dossier.mkdir(parents=True, exist_ok=True)
    ecrits = [dossier / f"indicateurs-{args.annee}.csv", dossier / f"indicateurs-{args.annee}.json"]
    ecrits[0].write_bytes(en_csv(b, noms_du_territoire(territoire)))
    ecrits[1].write_bytes(en_json(b))
    try:
        from adapters.graphiques import ecrire_graphiques
    except ImportError as e:
        print(f"ledger: charts not written ({e})", file=sys.stderr)
    else:
        kw = {"territoire": territoire} if "territoire" in inspect.signature(ecrire_graphiques).parameters else {}
        ecrits += ecrire_graphiques(b, dossier, **kw)
    for chemin in ecrits:
        print(chemin)
    return 0


class _BarreVersement:
    """Once a file has been read and found clean, a second bar while it is moved into the log
    (about a minute for a million demands), in demands, where the reading's bar was."""

    def __init__(self, lecture: Any, nom: str) -> None:
        self.lecture = lecture
        self.nom = nom
        self.barre: Any = None

    def __call__(self, fait: int, total: int) -> None:
        from tqdm import tqdm

        if self.barre is None:
            cachee = self.lecture.disable  # before close(), which sets it
            self.lecture.close()
            self.barre = tqdm(total=total, unit=" demands", desc=self.nom, file=sys.stderr, disable=cachee)
        self.barre.update(fait - self.barre.n)

    def close(self) -> None:
        if self.barre is not None:
            self.barre.close()


def importer_sne(args: argparse.Namespace) -> int:
    """Import national exchange files (SNE interfaceNuu) through the domain, at bulk speed."""
    import msgspec
    from tqdm import tqdm

    from adapters.sne.ateliers import AtelierEnPanne
    from adapters.sne.importation import importer, processus_pour
    from domain.codes import TypeOrganisation

    registre = _registre(args)
    try:
        t = registre.territoire
        if args.organisation:
            org = t.organisation(args.organisation)
        else:
            org = next((o for o in t.organisations if o.est(TypeOrganisation.guichet)), None)
            if org is None:
                print("ledger: the territory has no guichet to import as (--organisation)", file=sys.stderr)
                return 2
            if not args.json:
                print(f"importing as {org.code} (the territory's first guichet; --organisation to choose)", file=sys.stderr)
        code = 0
        for chemin in args.fichiers:
            taille = Path(chemin).stat().st_size
            with open(chemin, "rb") as f, tqdm(
                total=taille, unit="B", unit_scale=True, desc=Path(chemin).name, file=sys.stderr,
                disable=args.quiet or args.json,
            ) as barre:
                def afficher(e: object, chemin: str = chemin, barre: tqdm = barre) -> None:
                    if not args.json:
                        barre.write(f"{chemin}: {e}", file=sys.stderr)

                versement = _BarreVersement(barre, f"{Path(chemin).name} into the log")
                try:
                    rapport = importer(
                        registre, org, args.agent, f, partiel=args.partiel, progression=barre.update,
                        sur_erreur=afficher, processus=args.processes or processus_pour(taille),
                        progression_versement=versement,
                    )
                except AtelierEnPanne as e:
                    print(f"ledger: {chemin}: {e}; nothing of it was appended", file=sys.stderr)
                    return 1
                finally:
                    versement.close()
            if args.json:
                print(msgspec.json.encode({"fichier": str(chemin), **msgspec.structs.asdict(rapport)}).decode())
            else:
                print(f"{chemin}: {rapport.resume()}")
            if not rapport.importe or rapport.erreurs_total:
                code = 1
        return code
    finally:
        registre.close()


def exporter_sne(args: argparse.Namespace) -> int:
    """Write the demands, as of a date, in the national exchange format."""
    import getpass

    from adapters.sne.exportation import exporter
    from domain import horloge
    from projections.lectures_personnelles import EXPLOITATION, Lecteur, noter

    registre = _registre(args)
    try:
        if args.sortie:
            Path(args.sortie).parent.mkdir(parents=True, exist_ok=True)
            with open(args.sortie, "wb") as f:
                r = exporter(registre, f, args.au, args.numeros or None, radiees=args.radiees)
        else:
            r = exporter(registre, sys.stdout.buffer, args.au, args.numeros or None, radiees=args.radiees)
        # An export is a read of every exported demand's personal data, by whoever runs it.
        noter(registre, Lecteur(None, getpass.getuser(), EXPLOITATION), r.exportees, "export_sne")
        print(
            f"{r.demandes} demand(s) as of {(args.au or horloge.aujourdhui()).isoformat()} written"
            + (f" to {args.sortie}" if args.sortie else "")
            + (f"; left out: {r.inactives} not active" if r.inactives else "")
            + (f", {r.effacees} with personal data erased" if r.effacees else "")
            + (f", {r.inconnues} not yet registered" if r.inconnues else ""),
            file=sys.stderr,
        )
        return 0
    finally:
        registre.close()


# The commands that keep a ledger's state beside its log (read models, the schedule's run): on
# SQLite, one of them at a time per store (adapters/exclusivite.py).
EXCLUSIFS = (serve, run, follow, rebuild, schedule, importer_sne)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ledger", description="Demand Ledger operators' command")
    p.add_argument("--database", help="LEDGER_DATABASE_URL (default sqlite:///var/ledger.sqlite3)")
    p.add_argument("--territory", help="territory file (default: the Cannes Pays de Lérins demo)")
    sub = p.add_subparsers(dest="commande", required=True)
    sub.add_parser("init", help="create the store and check the territory").set_defaults(f=init)
    sub.add_parser("tokens", help="print the territory's agent tokens").set_defaults(f=jetons)
    for nom, f, aide in (("serve", serve, "serve the HTTP API"), ("run", run, "init, print tokens, serve")):
        s = sub.add_parser(nom, help=aide)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8000)
        s.add_argument(
            "--no-schedule", action="store_true",
            help="do not run the daily schedule here (a server that only reads, or another "
            "process runs it); also LEDGER_SCHEDULE=off",
        )
        s.add_argument(
            "--no-followers", action="store_true",
            help="do not follow the read models in the background (reads then catch up themselves)",
        )
        s.set_defaults(f=f)
    s = sub.add_parser("schedule", help="append notices, RADREN radiations and erasures due by a date")
    s.add_argument("--through", required=True, type=_date, help="YYYY-MM-DD (never later than today)")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(f=schedule)
    s = sub.add_parser("cotation", help="score and explanation of a demand, as of a date, as known at an instant")
    s.add_argument("numero_unique")
    s.add_argument("--au", help="valid time, YYYY-MM-DD (default today)")
    s.add_argument("--connu-a", dest="connu_a", help="knowledge time, ISO 8601 instant")
    s.add_argument("--json", action="store_true")
    s.set_defaults(f=cotation)
    s = sub.add_parser("rebuild", help="rebuild a read model from position zero (all by default)")
    s.add_argument("name", nargs="?", help="read model name: echeances, cotation, statistiques")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--processes", type=_au_moins_un, default=None, metavar="N",
                   help="processes folding demands (default: one per core, up to 2; 1 for small logs)")
    s.set_defaults(f=rebuild)
    s = sub.add_parser("follow", help="keep the read models current (followers poll the log)")
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--schedule", action="store_true", help="also run the daily schedule here")
    s.set_defaults(f=follow)
    s = sub.add_parser(
        "statistiques",
        help="indicators of docs/statistics.md for a period, from the raw log or the live read model",
        description="Every indicator of a period: flows dated --du..--au, stocks on --au. From the "
        "raw log by default (a progress bar on stderr), as known at --connu-a if given; "
        "--source vue reads the live read model, brought up to date first (as known now only).",
    )
    _options_periode(s)
    s.add_argument("--connu-a", dest="connu_a", type=_instant,
                   help="knowledge time, ISO 8601 instant (UTC if no offset); raw log only")
    s.add_argument("--source", choices=("journal", "vue"), default="journal")
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.add_argument("--sortie", help="write to this file instead of stdout")
    s.set_defaults(f=statistiques, parser=s)
    s = sub.add_parser(
        "verifier-statistiques",
        help="compare the live statistics read model with the raw log (exit 1 on any difference)",
    )
    _options_periode(s)
    s.set_defaults(f=verifier_statistiques, parser=s)
    s = sub.add_parser("bilan", help="annual bilan: indicateurs-Y.csv, indicateurs-Y.json and charts")
    s.add_argument("--annee", type=_annee, required=True, help="the year, e.g. 2026")
    s.add_argument("--dossier", required=True, help="directory to write into (created if needed)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(f=bilan)
    s = sub.add_parser(
        "importer-sne",
        help="import national exchange files (SNE interfaceNuu) through the domain",
        description="Each file is read as a stream and checked whole: with any error, nothing of "
        "it is appended and every error is listed (line, element, why), unless --partiel. "
        "Re-importing a file appends nothing; a newer file about a known demand appends what "
        "differs. Exit 1 when a file was refused or had errors.",
    )
    s.add_argument("fichiers", nargs="+", metavar="FICHIER.xml")
    s.add_argument("--partiel", action="store_true", help="import the valid demands and report the others")
    s.add_argument("--organisation", help="the guichet recorded on the events (default: the territory's first)")
    s.add_argument("--agent", default="import-sne", help="the agent recorded on the events")
    s.add_argument(
        "--processes", type=_au_moins_un, metavar="N",
        help="worker processes reading the demands and running them through the domain "
        "(default: one per core, at most 8, for a file of 64 MB or more, else none: the import's own process)",
    )
    s.add_argument("--json", action="store_true", help="one JSON report per file on stdout")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(f=importer_sne)
    s = sub.add_parser(
        "exporter-sne",
        help="write the demands as of a date in the national exchange format (SNE interfaceNuu)",
    )
    s.add_argument("--au", type=_date, help="the date the file describes, YYYY-MM-DD (default today)")
    s.add_argument("--sortie", help="file to write (default stdout)")
    s.add_argument("--radiees", action="store_true", help="also the demands radiated on that date")
    s.add_argument("numeros", nargs="*", metavar="NUMERO", help="only these demands")
    s.set_defaults(f=exporter_sne)
    from adapters import chaine_cli

    chaine_cli.commandes(sub)
    p.set_defaults(fabrique=_registre)
    args = p.parse_args(argv)
    try:
        if args.f in EXCLUSIFS:
            from adapters.exclusivite import processus_unique

            with processus_unique(depuis_url(args.database), args.commande):
                return int(args.f(args))
        return int(args.f(args))
    except (ConfigurationError, TerritoryFileError, ValueError) as e:
        print(f"ledger: {e}", file=sys.stderr)
        return 2
    except RefusCommande as e:
        print(f"ledger: refused ({e.regle}): {e.message}", file=sys.stderr)
        return 1
    except Exception as e:
        from projections.suivi import ModeleEnPanne  # as `rebuild` imports its projections

        if not isinstance(e, ModeleEnPanne):
            raise
        print(f"ledger: {e}", file=sys.stderr)  # a read model met an event it cannot apply
        return 1


if __name__ == "__main__":
    sys.exit(main())
