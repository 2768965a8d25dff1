"""Per-language cue stems for the top-level IPTC Media Topics (data, no logic).

In: nothing.  Out: ``TOPICS`` (code -> English label) and ``LEXICONS`` (code -> language -> stems).  A stem matches a
word that starts with it after casefolding and accent folding (``bombard`` matches ``bombardements``).  Stems are
chosen to be specific to the topic in news text; ambiguous ones (``crise``, ``plan``) are left out on purpose.
"""

from __future__ import annotations

TOPICS: dict[str, str] = {
    "medtop:01000000": "arts, culture, entertainment and media",
    "medtop:02000000": "crime, law and justice",
    "medtop:03000000": "disaster, accident and emergency incident",
    "medtop:04000000": "economy, business and finance",
    "medtop:05000000": "education",
    "medtop:06000000": "environment",
    "medtop:07000000": "health",
    "medtop:08000000": "human interest",
    "medtop:09000000": "labour",
    "medtop:10000000": "lifestyle and leisure",
    "medtop:11000000": "politics",
    "medtop:12000000": "religion",
    "medtop:13000000": "science and technology",
    "medtop:14000000": "society",
    "medtop:15000000": "sport",
    "medtop:16000000": "conflict, war and peace",
    "medtop:17000000": "weather",
}

_RAW: dict[str, dict[str, str]] = {
    "medtop:01000000": {
        "en": "film movie cinema theatre theater museum artist album concert novel festival actor actress singer music",
        "fr": "film cinema theatre musee artiste album concert roman festival acteur actrice chanteu musique",
        "de": "film kino theater museum kunstler album konzert roman festival schauspiel sanger musik",
        "es": "pelicula cine teatro museo artista album concierto novela festival actor actriz cantante musica",
        "it": "film cinema teatro museo artista album concerto romanzo festival attore attrice cantante musica",
        "pt": "filme cinema teatro museu artista album concerto romance festival ator atriz cantor musica",
    },
    "medtop:02000000": {
        "en": "police arrest court judge trial prosecut murder crime criminal prison jail lawsuit convict sentenced",
        "fr": "police arrest tribunal juge proces procureur meurtre crime criminel prison condamn enquete justice",
        "de": "polizei festnahm gericht richter prozess staatsanwalt mord verbrech gefangnis verurteil ermittl",
        "es": "policia arrest tribunal juez juicio fiscal asesinato crimen criminal prision condena",
        "it": "polizia arrest tribunale giudice processo procura omicidio crimine criminal carcere condann",
        "pt": "policia prisao preso tribunal juiz julgamento promotor assassinato crime criminoso condena",
    },
    "medtop:03000000": {
        "en": "earthquake flood wildfire hurricane accident crash explosion rescue victims evacuat tsunami landslide",
        "fr": "seisme tremblement inondation incendie ouragan accident explosion secours victimes evacu tsunami",
        "de": "erdbeben uberschwemm hochwasser waldbrand unfall explosion rettung opfer evakuier tsunami",
        "es": "terremoto sismo inundacion incendio huracan accidente explosion rescate victimas evacu tsunami",
        "it": "terremoto sisma alluvione incendio uragano incidente esplosione soccorr vittime evacu tsunami",
        "pt": "terremoto sismo inundac incendio furacao acidente explosao resgate vitimas evacu tsunami",
    },
    "medtop:04000000": {
        "en": "economy economic market inflation bank interest company shares stock investor trade gdp budget price",
        "fr": "economi marche inflation banque taux entreprise action bourse investisseur commerce pib budget prix",
        "de": "wirtschaft markt inflation bank zins unternehm aktie borse anleger handel haushalt preis",
        "es": "economi mercado inflacion banco interes empresa accion bolsa inversor comercio pib presupuesto precio",
        "it": "economi mercato inflazione banca tassi azienda azioni borsa investitor commercio pil bilancio prezz",
        "pt": "economi mercado inflacao banco juros empresa acoes bolsa investidor comercio pib orcamento preco",
    },
    "medtop:05000000": {
        "en": "school student teacher university education pupil curriculum",
        "fr": "ecole eleve etudiant enseignant universit education scolaire",
        "de": "schule schuler student lehrer universitat bildung",
        "es": "escuela alumno estudiante profesor universidad educacion",
        "it": "scuola alunn studente insegnant universita istruzione",
        "pt": "escola aluno estudante professor universidade educacao",
    },
    "medtop:06000000": {
        "en": "climate emission pollution environment biodiversity carbon deforest renewable",
        "fr": "climat emission pollution environnement biodiversite carbone deforest renouvelable",
        "de": "klima emission verschmutz umwelt biodiversitat kohlenstoff erneuerbar",
        "es": "clima emision contaminacion medio ambiente biodiversidad carbono deforest renovable",
        "it": "clima emission inquinamento ambiente biodiversita carbonio deforest rinnovabil",
        "pt": "clima emissao poluicao ambiente biodiversidade carbono desmat renovavel",
    },
    "medtop:07000000": {
        "en": "health hospital patient doctor disease virus vaccin covid epidemic pandemic medical cancer",
        "fr": "sante hopita patient medecin maladie virus vaccin covid epidemie pandemie medical cancer",
        "de": "gesundheit krankenhaus klinik patient arzt krankheit virus impf covid epidemie pandemie krebs",
        "es": "salud hospital paciente medico enfermedad virus vacuna covid epidemia pandemia cancer",
        "it": "salute ospedal paziente medico malattia virus vaccin covid epidemia pandemia cancro",
        "pt": "saude hospital paciente medico doenca virus vacina covid epidemia pandemia cancer",
    },
    "medtop:08000000": {
        "en": "wedding birthday anniversary celebrity",
        "fr": "mariage anniversaire celebrite",
        "de": "hochzeit geburtstag jubilaum prominent",
        "es": "boda cumpleanos aniversario celebridad",
        "it": "matrimonio compleanno anniversario celebrita",
        "pt": "casamento aniversario celebridade",
    },
    "medtop:09000000": {
        "en": "strike union worker employment unemployment wage salary jobs labour labor",
        "fr": "greve syndica travailleu emploi chomage salaire salarie",
        "de": "streik gewerkschaft arbeitnehm beschaftig arbeitslos lohn gehalt",
        "es": "huelga sindica trabajador empleo desempleo salario",
        "it": "sciopero sindaca lavorator occupazione disoccupazione salari",
        "pt": "greve sindica trabalhador emprego desemprego salario",
    },
    "medtop:10000000": {
        "en": "travel tourism recipe fashion holiday restaurant",
        "fr": "voyage tourisme recette vacances restaurant",
        "de": "reise tourismus rezept mode urlaub restaurant",
        "es": "viaje turismo receta vacaciones restaurante",
        "it": "viaggio turismo ricetta vacanz ristorante",
        "pt": "viagem turismo receita ferias restaurante",
    },
    "medtop:11000000": {
        "en": "president minister government parliament election vote senator diplomat summit visit kremlin policy",
        "fr": "president ministre gouvernement parlement election vote senat diplomat sommet visite kremlin homologue",
        "de": "prasident minister regierung parlament wahl abstimm senat diplomat gipfel besuch kreml kanzler",
        "es": "presidente ministro gobierno parlamento eleccion votacion senado diplomat cumbre visita kremlin",
        "it": "presidente ministro governo parlamento elezion voto senato diplomat vertice visita cremlino",
        "pt": "presidente ministro governo parlamento eleicao votacao senado diplomat cupula visita kremlin",
    },
    "medtop:12000000": {
        "en": "church pope religio mosque imam bishop faith",
        "fr": "eglise pape religi mosquee imam eveque croyan",
        "de": "kirche papst religi moschee imam bischof glaube",
        "es": "iglesia papa religi mezquita imam obispo fe",
        "it": "chiesa papa religi moschea imam vescovo fede",
        "pt": "igreja papa religi mesquita imam bispo fe",
    },
    "medtop:13000000": {
        "en": "scien research technolog software internet artificial satellite space computer researcher",
        "fr": "scien recherche technolog logiciel internet artificielle satellite spatial informatique chercheu",
        "de": "wissenschaft forsch technolog software internet kunstlich satellit raumfahrt computer",
        "es": "cienc investigacion tecnolog software internet artificial satelite espacial ordenador investigador",
        "it": "scienz ricerca tecnolog software internet artificiale satellite spazial computer ricercator",
        "pt": "cienc pesquisa tecnolog software internet artificial satelite espacial computador pesquisador",
    },
    "medtop:14000000": {
        "en": "immigra refugee poverty family discriminat housing welfare",
        "fr": "immigr refugie pauvrete famille discrimin logement social",
        "de": "einwander fluchtling armut familie diskrimin wohnung sozial",
        "es": "inmigra refugiado pobreza familia discrimin vivienda social",
        "it": "immigra rifugiat poverta famiglia discrimin abitazion social",
        "pt": "imigra refugiado pobreza familia discrimin habitacao social",
    },
    "medtop:15000000": {
        "en": "football soccer tennis olympic championship league match tournament goal coach player cup",
        "fr": "football tennis olympique championnat ligue match tournoi entraineu joueu coupe",
        "de": "fussball tennis olympi meisterschaft liga spiel turnier tor trainer spieler pokal",
        "es": "futbol tenis olimpic campeonato liga partido torneo gol entrenador jugador copa",
        "it": "calcio tennis olimpic campionato lega partita torneo gol allenator giocator coppa",
        "pt": "futebol tenis olimpic campeonato liga partida torneio gol treinador jogador taca",
    },
    "medtop:16000000": {
        "en": "war military troops army offensive invasion attack missile artillery drone combat soldier bomb "
        "defence defense ceasefire shelling",
        "fr": "guerre militaire troupes armee offensive invasion attaque missile artillerie drone combat soldat "
        "bombard defense cessez",
        "de": "krieg militar truppen armee offensive invasion angriff rakete artillerie drohne kampf soldat bomb "
        "verteidigung waffenruhe",
        "es": "guerra militar tropas ejercito ofensiva invasion ataque misil artilleria dron combate soldado bomb "
        "defensa",
        "it": "guerra militar truppe esercito offensiva invasione attacco missil artiglieria drone combatt soldat "
        "bomb difesa",
        "pt": "guerra militar tropas exercito ofensiva invasao ataque missil artilharia drone combate soldado bomb "
        "defesa",
    },
    "medtop:17000000": {
        "en": "weather forecast storm rain snow heatwave temperature",
        "fr": "meteo prevision tempete pluie neige canicule temperature",
        "de": "wetter vorhersage sturm regen schnee hitzewelle temperatur",
        "es": "tiempo pronostico tormenta lluvia nieve ola calor temperatura",
        "it": "meteo previsio tempesta pioggia neve ondata caldo temperatura",
        "pt": "previsao tempestade chuva neve onda calor temperatura",
    },
}

LEXICONS: dict[str, dict[str, frozenset[str]]] = {
    code: {lang: frozenset(stems.split()) for lang, stems in by_lang.items()}
    for code, by_lang in _RAW.items()
}

# Feed categories (casefolded, accent-folded) that name a topic outright.
CATEGORY_CUES: dict[str, str] = {
    "politi": "medtop:11000000",
    "econom": "medtop:04000000",
    "business": "medtop:04000000",
    "financ": "medtop:04000000",
    "wirtschaft": "medtop:04000000",
    "sport": "medtop:15000000",
    "deporte": "medtop:15000000",
    "health": "medtop:07000000",
    "sante": "medtop:07000000",
    "science": "medtop:13000000",
    "tech": "medtop:13000000",
    "culture": "medtop:01000000",
    "kultur": "medtop:01000000",
    "entertainment": "medtop:01000000",
    "crime": "medtop:02000000",
    "justice": "medtop:02000000",
    "environment": "medtop:06000000",
    "environnement": "medtop:06000000",
    "climat": "medtop:06000000",
    "weather": "medtop:17000000",
    "meteo": "medtop:17000000",
    "war": "medtop:16000000",
    "guerre": "medtop:16000000",
    "conflict": "medtop:16000000",
    "education": "medtop:05000000",
    "religion": "medtop:12000000",
    "travel": "medtop:10000000",
}
