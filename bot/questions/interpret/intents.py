"""Intents: what a question asks for, and how the interpreter decides between them.

Phrase rules score each intent first (`rule_scores`); the kinds of names found tip the balance between
rules that fit the words equally (`bot.questions.interpret.entity_hints`). When the rules are weak or
tie, a second opinion comes from sentence-embedding similarity to exemplar questions (see
`bot.questions.interpret.exemplars`), passed in as a function so that the interpreter stays pure
(`decide`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

from bot.experts.embeddings.calibration import DEFAULT_MODEL_NAME, thresholds
from bot.questions.interpret.entities import EntityMatch


class Intent(StrEnum):
    """What a question asks for."""

    HELP = "help"
    PROJECT_STATUS = "project_status"
    NEXT_MILESTONE = "next_milestone"
    OVERDUE = "overdue"
    LEAD = "lead"
    MEMBERS = "members"
    BLOCKED = "blocked"
    WAITING_ON = "waiting_on"
    WHEN_MILESTONE = "when_milestone"
    PERSON_PROJECTS = "person_projects"
    DISCIPLINE_PROJECTS = "discipline_projects"
    EXPERTS = "experts"
    LIST_PROJECTS = "list_projects"
    LEAVING = "leaving"
    SEARCH = "search"


# Intents that are about one project and cannot be answered without one.
NEEDS_PROJECT = frozenset({Intent.PROJECT_STATUS, Intent.LEAD, Intent.MEMBERS})
# Intents asked of a project: answered for each project named ("who leads pcm and uplift?"), of the
# project in context when none is named, and of another project in a follow-up ("what about uplift?").
PROJECT_INTENTS = frozenset(
    {
        Intent.PROJECT_STATUS,
        Intent.LEAD,
        Intent.MEMBERS,
        Intent.NEXT_MILESTONE,
        Intent.OVERDUE,
        Intent.BLOCKED,
    }
)

# -- confidence ----------------------------------------------------------------------------------
# A reading at or above CONFIDENT is answered; below it the asker gets the closest readings as buttons.
CONFIDENT = 0.6
# Rule weights: a phrase that names the intent outright ("overdue", "who leads") scores STRONG_RULE;
# a rule reading needs STRONG_RULE and a lead of RULE_MARGIN over the runner-up to stand on its own.
STRONG_RULE = 2.0
RULE_MARGIN = 1.0
# Embedding second opinion (cosine similarity to the nearest exemplar of each intent): its floor is
# the default model's, from the one table of thresholds (the exemplars were chosen with that model).
SIMILARITY_FLOOR = thresholds(DEFAULT_MODEL_NAME).intent_similarity
SIMILARITY_MARGIN = 0.04

# Intent → similarity of the (masked) question to that intent's exemplars.
SimilarityFn = Callable[[str], Mapping[Intent, float]]

# -- intent rules ---------------------------------------------------------------------------------
# (intent, pattern over the normalised question, weight). Weights add up per intent.
# "when is Ji-woo leaving?", "Ji-woo's last day", "when does her internship end?".
LAST_DAY_PATTERN = (
    r"\b((my|his|her|their|\w+ s) (final|last) (working )?day|"
    r"when (is|are|does|do|will) \w+( \w+)? (leaving|leave|finishing|finish|off|going|moving on|"
    r"stop|stopping)|last (day|week) (of|for) \w+|\w+ s last day|(my|his|her|their) last day|"
    r"(internship|contract|stint|placement|secondment|fellowship|visit|tenure) (ends?|ending|finish|"
    r"finishes|over|end date)|leaving date|leave date|end date of \w+|how long is \w+( \w+)? "
    r"(here|staying|around|with us)|^(am i|is [a-z-]+( [a-z-]+)?|are you) (leaving|finishing|moving on))\b"
)
ASKS_LAST_DAY = re.compile(LAST_DAY_PATTERN)

_RULES: tuple[tuple[Intent, str, float], ...] = (
    (
        Intent.HELP,
        r"^((hmm|ok|okay|great|grand|perfect|cool|nice|lovely|brill|brilliant|super|got it|noted|right)\W* )*"
        r"(help|hi|hello|hey|hiya|howdy|yo|thanks|thank you|thx|ty|ta|cheers|many thanks|morning|"
        r"good (morning|afternoon|evening)|\?)"
        r"( (there|liaison|all|everyone|so much|very much|a lot|again|for that|for the help|mate|"
        r"that (is|s) (great|brill|brilliant|perfect|helpful|useful)))*$",
        3.0,
    ),
    (Intent.HELP, r"^(help|hi|hello|hey)\b", 1.0),
    # "how do I mark something done?", "how can we add a blocker": the commands that do it.
    (
        Intent.HELP,
        r"^(how (do|can|should|would|could|may) (i|we|one)|how to|is there a way to|where (do|can) i) "
        r"(mark|add|create|raise|log|record|set|change|move|reschedule|postpone|push|snooze|close|resolve|"
        r"update|edit|assign|hand|invite|remove|delete|archive|restore|import|export|leave|join|subscribe|"
        r"unsubscribe|turn|stop|mute|link|unlink|connect|describe|rename|request|reset|get|see|view|tell|"
        r"let|put|share|sync)\b",
        5.0,
    ),
    (Intent.HELP, r"^(help|i need help|need help|can you help|help me)( (please|pls|plz))?$", 3.0),
    (
        Intent.HELP,
        r"\b(what (can|do) you (do|answer|know)|what can i ask|what (questions|kind of questions)|"
        r"how (do|can|should) i (use|ask)|how does (this|liaison|it) work|who are you|what are you|"
        r"help me|what do you do|commands)\b",
        3.0,
    ),
    (
        Intent.OVERDUE,
        r"\b(overdue|past due|behind schedule|missed|slipped|slipping|delayed|blown|blew)\b",
        2.5,
    ),
    # "late december" is part of a month, not lateness.
    (Intent.OVERDUE, r"\b(late(?! (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)|behind)\b", 2.0),
    (
        Intent.OVERDUE,
        r"\b((did|have|has) (we|i|they|he|she|you|\w+) miss|"
        r"miss(ed)? (the |a |any |our )?(deadlines?|dates?)|"
        r"let slip|fallen behind|running late|past (the |its |their )?(deadline|due date)|"
        r"drop(ped)? the ball|falling behind)\b",
        2.5,
    ),
    # "anything I dropped?", "what did we let slide": work that slipped.
    (
        Intent.OVERDUE,
        r"\b(anything|what|stuff) (have |did |that )?(i|we|they|\w+) (dropped|let slide|forgot)\b",
        2.5,
    ),
    (Intent.OVERDUE, r"\bnot (done|finished|delivered) (yet|on time)\b", 1.5),
    # "what is Priya late on?", "what are they behind with?": a person's overdue work, not their projects.
    (Intent.OVERDUE, r"\bwhat (is|are|am) \w+( \w+)? (late|behind) (on|with)\b", 3.0),
    # "what's Diego got due?", "what does Sara have due next?": a person's next milestones.
    (
        Intent.NEXT_MILESTONE,
        r"\bwhat (is|has|have|does|do) \w+( \w+)? (got |have |has )?(due|coming up|on deck)\b",
        3.0,
    ),
    (Intent.BLOCKED, r"\b(blocked|blocking|blockers?|stuck|impediments?|obstacles?)\b", 2.5),
    (Intent.BLOCKED, r"\b(held up|holding (up|back)|in the way)\b", 2.0),
    (Intent.BLOCKED, r"\b(holding|keeping) (us|me|things|it|this) (up|back)\b", 2.5),
    (
        Intent.WAITING_ON,
        r"\b(waiting (on|for)|waits (on|for)|wait on|depends? on|depending on|owe|owes|owed|"
        r"on (my|his|her|their) plate|to do list|todo|assigned to|in (my|his|her|their) court|"
        r"(i|he|she|they) (need|needs|have|has) to (do|deliver|finish|hand in)|"
        r"am i responsible for|is \w+( \w+)? responsible for|do i own|does \w+ own|what do i own|"
        r"(do|does) \w+( \w+)? (need|have) to (do|deliver|finish)|(do|does) \w+( \w+)? owe)\b",
        3.0,
    ),
    # Idioms for what someone owns and has open: "what is Kwame on the hook for", "what's left for me".
    (
        Intent.WAITING_ON,
        r"\b(on the hook( for)?|accountable for|answerable for|(got|have|has) on (my|his|her|their) "
        r"(plate|desk|list)|on (my|his|her|their) (desk|list|radar)|(left|remaining) for \w+( \w+)? to "
        r"(do|deliver|finish)|(my|his|her|their) (open|outstanding) (items|tasks|work|milestones|stuff)|"
        r"(what|anything) (is )?(still )?(open|outstanding) (for|on) (me|him|her|them|someone)|"
        r"what should i (be )?(work|working) on|what (is|are) (still )?(open|outstanding) for|"
        r"on \w+( \w+)? ?s (plate|desk|list|radar|todo)|(do|does) \w+( \w+)? (still )?have (open|outstanding|"
        r"pending|left)|(outstanding|pending) (items? |tasks? |work |stuff )?(for|with|on|from) \w+|"
        r"(items?|tasks?|work|stuff) (still )?open for)\b",
        3.0,
    ),
    (Intent.WAITING_ON, r"\b(my|his|her|their) (tasks|work|deliverables|deadlines|milestones)\b", 2.0),
    # "who is leaving soon?", "whose contract ends this month?": people's last days.
    (
        Intent.LEAVING,
        r"\b(who (is|s|are|will be) (leaving|moving on|finishing up|on (their|her|his) way out)|who leaves|"
        r"(anyone|anybody|someone|people|who else) leaving|last days|leaving dates|leavers|departures|"
        r"whose (internship|contract|stint|placement|secondment|fellowship)s? (end|ends|ending|are ending|"
        r"is ending|finish|finishes)|(which|what) (people|interns|members) (are|is) leaving)\b",
        3.5,
    ),
    # "when is Ji-woo leaving?", "Ji-woo's last day", "when does her internship end?": the person's
    # answer, which gives their last day.
    (
        Intent.PERSON_PROJECTS,
        LAST_DAY_PATTERN,
        3.5,
    ),
    # "anything I need to action?", "what should I be doing?", "my action items": what waits on the asker.
    (
        Intent.WAITING_ON,
        r"\b(need to action|have to action|to action|action items?|actions for me|should i be doing|"
        r"do i need to do|have i got to do|on my to-?do( list)?)\b",
        4.0,
    ),
    # "why?", "why is pcm late?", "how come?", "what's the hold-up?": what holds it up (its blockers,
    # its late milestones and what they wait on).
    (
        Intent.BLOCKED,
        r"^(and |but |so |ok )?(why|how come)\b|\bwhat (is|s) the (hold ?up|holdup|delay|problem)\b",
        4.0,
    ),
    (
        Intent.LEAD,
        r"\b(who (leads|is leading|runs|is running|heads|is heading|heads up|is heading up|manages|"
        r"is managing|is in charge|is the point person (for|on)|"
        r"coordinates|is the lead|is the leader|is the pi|is responsible for)|"
        r"lead(er)? (of|for|on)|in charge of|principal investigator|pi (of|for|on)|whose project|"
        r"who owns (the )?(project|\w+ project)|"
        r"who is the (main |key )?(contact|point of contact|owner) (for|of|on)|"
        r"(main|key) contact (for|of|on))\b",
        3.0,
    ),
    (Intent.LEAD, r"\b(leads?|leader|leading|heads|heading|point person)\b", 1.5),
    # "who's the boss on fatigue?", "who do I report to on bid shading?", "lead uplift?": its lead.
    (
        Intent.LEAD,
        r"\b(who (is|s) the (boss|manager|head|pi)|who do (i|we) (report|answer) to|who (is|s) my manager|"
        r"who (is|s) (the )?(person|one) in charge)\b|^(the )?(lead|leader|pi|boss) (of |for |on )?[a-z]",
        3.5,
    ),
    # "who's my lead?", "who is our PI": the lead of the asker's project.
    (Intent.LEAD, r"\bwho (is|s|are) (my|our) (lead|leader|pi|project lead|team lead|boss|manager)\b", 3.5),
    (
        Intent.MEMBERS,
        r"\b(who (is|are) (on|in(?! charge)|part of|involved (in|with)|working on|staffed on|"
        r"contributing to)|"
        r"who works? on|who else is on|members? of|team (of|on|for|behind)|people (on|in|working on)|"
        r"(folks|guys|people|names) (on|in|behind|working on)|"
        r"(which|what) (people|folks|persons|members) (are |is )?(on|in|working on|work on|involved in)|"
        r"(is|are) on the team|who is involved|"
        # "who else is working with me on fatigue", "who am I working with on pcm"
        r"who (else )?(is|are) (working|collaborating) with (me|us) on|who (am i|are we) working with on)\b",
        3.0,
    ),
    (Intent.MEMBERS, r"\b(members?|team|participants|staffed|who is on)\b", 1.5),
    (
        Intent.PERSON_PROJECTS,
        r"\b(what (is|are|am) \w+( \w+)? (working on|doing|involved in|busy with)|what am i on|"
        r"which projects? (is|are|am|does|do|did|has|have)|what projects (is|are|am|does|do|has|have)|"
        r"projects? (of|for|by) |my projects|(his|her|their) projects|what is \w+( \w+)? on|"
        r"(is|are|am) (\w+ )?(\w+ )?(on|in) (any|which|what)|where (is|does) \w+ work|who is|"
        r"(which|what) (teams|groups) (is|are|am) \w+( \w+)? (on|in|part of|a part of|a member of))\b",
        2.5,
    ),
    (
        Intent.PERSON_PROJECTS,
        r"\b(what (is|has|have|am) \w+( \w+)? (been )?up to|what keeps \w+( \w+)? busy|"
        r"what (is|are) \w+( \w+)? s projects|(what|which) projects (has|have) \w+( \w+)? got)\b",
        2.5,
    ),
    (
        Intent.DISCIPLINE_PROJECTS,
        r"\b(which|what|any) projects? (involve|involves|include|includes|have|has|need|needs|use|uses|"
        r"with|are there with|bring in)\b|\bprojects? (with|involving|including|that (involve|include|have|"
        r"need))\b|\b(involving|involve|involves) (an? )?\w+",
        1.5,
    ),
    (
        Intent.EXPERTS,
        r"\b(who (really |actually |else |here )?(knows|knew|understands|is good at|is good with|"
        r"has experience|has expertise|"
        r"is an expert|are the experts|can help|could help|can advise|could advise|can i ask|should i ask|"
        r"should i talk to|can i talk to|do i ask|to ask|works on|studies|researches|has worked on)|"
        r"experts?( on| in| for)?|expertise|specialists?|anyone (who )?(know|knows|familiar)|"
        r"knows (a lot )?about|knowledgeable|familiar with|someone who knows|who to (ask|talk to))\b",
        3.0,
    ),
    # Asking around: "anyone here done eye tracking studies?", "has anybody worked on attention metrics?"
    (
        Intent.EXPERTS,
        r"\b((has|have|did) (anyone|anybody|someone|somebody|any of you|people)( here| around)?"
        r"( ever| already| previously)? (done|did|worked|work|used|tried|run|ran|studied|researched|"
        r"published|experience|dealt|looked into)|"
        r"(anyone|anybody|someone|somebody)( here| around| else)?( who)?( ever| already)? "
        r"(done|did|has done|have done|worked|working|work|works|used|tried|studied|studies|researched|"
        r"published|ran|run|dealt|with (experience|expertise|a background|background|knowledge)|"
        r"experienced|good (at|with)|(has|have) (experience|expertise|a background|background)|"
        r"(can|could) (help|advise)|(knows?|knowing) (about|anything|something|how))|"
        r"(is|are) there (anyone|anybody|someone|somebody|people|experts?)|"
        r"who (here )?(has|have) (done|worked|experience|expertise|a background|background|published|"
        r"studied|researched|run|used)|who (here )?(did|does|do|is doing|has been doing) (research|work) on|"
        r"who is (good|strong|experienced|skilled) (at|in|with)|who can i (ask|talk to|go to)|"
        r"(point|refer) me to (someone|somebody|an expert|anyone)|who would know|go to person)\b",
        3.0,
    ),
    # Asking to be pointed to someone: "who can tell me about brand lift?", "who should I ping about
    # kafka?", "need someone for ad fraud", "who's the go-to for graph neural nets?", "can you
    # recommend someone for bid shading?", "who in the alliance has worked on fraud detection?".
    (
        Intent.EXPERTS,
        r"\b(who (can|could|would|might) ((tell|walk|show|point|help|advise) (me|us)|explain|teach|brief)\b|"
        r"whom? (can|could|should|would|do|shall) (i|we) (talk|speak|turn|go|reach out|ping|contact|email|"
        r"message|ask|consult|call|approach|write|bug)\b|"
        r"who (is|are) (the |our |a )?go to\b|\bgo to (person|people|expert|contact|guy|gal)\b|"
        r"\b(need|needs|want|wants|looking for|look for|searching for|find( me)?|recommend|suggest|"
        r"know of|point me to|introduce me to) (a |an )?(someone|somebody|anyone|anybody|person|expert|"
        r"experts|specialist|colleague)\b|"
        r"who( \w+){1,4}? (has|have) (done|worked|experience|expertise|published|studied|researched|used|"
        r"run|built|dealt|a background|background)|"
        r"who (i|we) (should|could|can) (contact|talk to|speak to|ask|reach out to)|"
        r"(need|want|could use|looking for) (some )?help (with|on|in) .+ (anyone|anybody|someone|somebody)|"
        r"who (on|in|across|at|from) (the |our )?(alliance|team|consortium|group|network) (does|do|works on|"
        r"knows|is into|handles))\b",
        3.0,
    ),
    # Asking for a person outright outweighs "help" and "I": "can anybody help me with clean rooms?",
    # "I'm looking for somebody who's done eye-tracking research".
    (
        Intent.EXPERTS,
        r"\b((can|could) (anybody|anyone|somebody|someone) (help|advise|assist)|"
        r"(looking for|look for|searching for|need|want) (somebody|someone|anybody|anyone|a person|people)"
        r"( who| that)? (is|s|has|have|had)? ?(done|worked|experience|expertise|published|studied|knows|"
        r"know|good|familiar))\b",
        4.0,
    ),
    # "need a hand with auction theory — who's good?", "who's good at kafka?", "help needed with
    # uplift modelling": someone who knows.
    (
        Intent.EXPERTS,
        r"\b(who (is|s|are) (good|great|strong|best)( at| with| on)?|(need|want|could use|looking for) "
        r"(a hand|help|some help|advice|input|pointers) (with|on)|help needed (with|on))\b",
        4.0,
    ),
    # Words between "who" and the asking verb: "who in the alliance can help with consent law?",
    # "who outside our disciplines knows about bid shading?".
    (
        Intent.EXPERTS,
        r"\bwho( \w+){1,6}? ((can|could|would|might) (help|advise|assist)|knows about|"
        r"(is|are) (an )?experts?|has (expertise|experience)|to (ask|talk to|consult) (about|on|for))\b",
        3.0,
    ),
    (
        Intent.WHEN_MILESTONE,
        r"\b(when (is|are|will|does|do|should)|due date (of|for|on)|deadline (of|for|on)|"
        r"what date is|by when|when\b.*\bdue|due (by )?when|when due)\b",
        2.0,
    ),
    (
        Intent.NEXT_MILESTONE,
        r"\b(next|upcoming|coming up|due|deadlines?|milestones?|schedule|timeline|deliverables?|landing|"
        r"what is planned|what s planned|plan for)\b",
        1.5,
    ),
    (
        Intent.NEXT_MILESTONE,
        r"\b(what is next|what comes next|next milestones?|next steps?|due soon|next (deadlines?|due dates?|"
        r"deliver(y|ables?)|thing|big thing|up)|what is due next|up next|on deck|in the pipeline)\b",
        2.5,
    ),
    # "who owns the next one?", "who's on the next deadline?": the next milestones, with their owners.
    (
        Intent.NEXT_MILESTONE,
        r"\b(who (owns|has|has got|s got|got|is on|s on|is doing|s doing|handles|is handling|"
        r"is responsible for|s responsible for|is delivering|delivers)|whose is) the (next|upcoming) "
        r"(one|milestone|deadline|deliverable|thing|step|due date|item)\b",
        3.5,
    ),
    (
        Intent.NEXT_MILESTONE,
        r"\b(has|have|needs?|need) to be (done|finished|delivered|ready|submitted)\b"
        r"|\bto be (done|delivered) by\b",
        2.0,
    ),
    (
        Intent.PROJECT_STATUS,
        r"\b(status|how is|how are|how goes|going|progress|update on|updates? (for|on)|state of|"
        r"health|on track|at risk|doing|latest on|news on|where are we|where is|overview|summary|"
        r"on (schedule|target|time|course)|behind schedule|ahead of schedule|in good shape|"
        r"tell me about|what about|info on|details (of|on))\b",
        2.0,
    ),
    # "what's up here?", "where do things stand with pcm?", "how are things on uplift?": the status.
    (
        Intent.PROJECT_STATUS,
        r"\b(what is up|whats up|what is new|whats new|what is happening|"
        r"where (do|does) (things|it|we) stand|where things stand|how are things|how is it going|"
        r"what is the situation|what is the state)\b",
        2.5,
    ),
    # "give me the rundown", "catch me up on pcm": a project's status, unless other words ask more
    # (not "the lowdown", which mostly asks about something else: "the lowdown on deadlines").
    (
        Intent.PROJECT_STATUS,
        r"\b(rundown|run down|catch (me|us) up|fill (me|us) in|(bring|get) (me|us) up to speed|recap|sitrep|"
        r"sit rep|brief (me|us)|(quick|short) (summary|update|overview)|summari[sz]e)\b",
        2.0,
    ),
    # "what project is this?", "what's this channel about?": the channel's project.
    (
        Intent.PROJECT_STATUS,
        r"\b(what|which) project (is|s) (this|here|it)\b|\bwhat (is|s) this channel\b",
        4.0,
    ),
    # "is brandsafe on schedule?", "are we on track": a project's status outright.
    (
        Intent.PROJECT_STATUS,
        r"\b(is|are) (the )?[a-z][a-z0-9-]*( [a-z][a-z0-9-]*){0,3} (on (schedule|track|target|time|course)|"
        r"in good shape|at risk)\b",
        3.0,
    ),
    (
        Intent.LIST_PROJECTS,
        r"\b((list|show)( me)?( all)?( the)?( active| current| ongoing| open| live)? projects|"
        r"all( the)? projects|which projects (are there|exist|do we have)|"
        r"what projects (are there|exist|do we have)|"
        r"how many( active| current| ongoing| open| live)? projects|projects do we have|every project)\b",
        3.0,
    ),
    # "which projects are on track?", "how many projects are at risk", "any projects done?": the projects
    # of a status ("which projects are blocked" is what is blocked, with its blockers).
    (
        Intent.LIST_PROJECTS,
        r"\b(which|what|how many|list|any|show)( of)?( the| our| all( the)?)? projects\b.*"
        r"\b(on track|on schedule|at risk|done|finished|complete|completed|in trouble|struggling|"
        r"active|live|running|ongoing)\b",
        6.0,
    ),
    # "how many are on track?", "how many projects are blocked?": counted by their state.
    (
        Intent.LIST_PROJECTS,
        r"\bhow many( projects| of them| of the projects)? (are|is) (still |currently |now )?(on track|on "
        r"schedule|at risk|blocked|stuck|done|finished|complete|completed|active|live|running|ongoing)\b",
        7.0,
    ),
    # "projects at risk?", "done projects?", "active projects": projects by their state, tersely.
    (
        Intent.LIST_PROJECTS,
        r"^(the )?(projects? (that are |which are )?(on track|on schedule|at risk|done|finished|complete|"
        r"completed|in trouble|struggling|active|live|running|ongoing)|(on track|at risk|done|"
        r"finished|completed|troubled|struggling|active|live|running|ongoing) projects)\b",
        6.0,
    ),
    # "which project has the most open milestones?", "… the fewest members": the projects ranked.
    (
        Intent.LIST_PROJECTS,
        r"\b(which|what) projects? (has|have|got|is|are)( got)? the "
        r"(most|fewest|least|biggest|smallest|largest)\b",
        7.0,
    ),
    # "how many people are on pcm?", "how big is the uplift team": the members, counted.
    (Intent.MEMBERS, r"\bhow (many|big)( people| members| folks| persons)?( are| is)? (on|in|the)\b", 2.5),
    # "who from academia is on uplift?", "anyone from leiden on fatigue", "who are the industry folks
    # here": a project's people from one side or organisation (`bot.questions.answers.people`).
    (
        Intent.MEMBERS,
        r"\b((who|anyone|anybody|someone|people|members?)( \w+)? (from|at) (?!(the )?(team|project)\b)\w+"
        r"( \w+)? (is |are )?(on|in|working on)\b|who (are|is) the (academics?|industry( \w+)?)\b|"
        r"(academics|industry (folks|people|partners|members)) (on|in|here)\b)",
        3.0,
    ),
    # "anyone who gets causal ML?", "anybody know dbt?", "looking for a stats person for CUPED",
    # "who's good w/ TCF strings": asking for people, in chat register.
    (
        Intent.EXPERTS,
        r"\b((anyone|anybody|someone|somebody|who) (who |that )?(gets|get|groks|knows?|understands)\b"
        r"(?! (of|if|whether))|"
        r"(looking for|need|want|searching for) (a|an|some) [a-z]+( [a-z]+)? (person|people|expert|guy|gal|"
        r"specialist|whiz|wizard|nerd|geek)|who (is|s|are) (good|great|strong|solid) (w|with|at|in|on)\b)",
        3.5,
    ),
    # "what needs my attention?", "what should I focus on?", "anything I need to know?": what waits on me.
    (
        Intent.WAITING_ON,
        r"\b(needs?|requires?|deserves?) my attention\b|"
        r"\bwhat should i (focus on|work on|do first|prioriti[sz]e)\b|"
        r"\banything i (need|ought|should) to (know|do)\b",
        5.0,
    ),
    # "how many milestones does pcm have left?": its open milestones, counted.
    (
        Intent.NEXT_MILESTONE,
        r"\bhow many (open |remaining |more |upcoming )?(milestones|deliverables|deadlines|tasks|items)\b"
        r"(?!.*\b(overdue|late|miss|missed|slipped|dropped|behind|blocked|done|finished|completed)\b)",
        4.0,
    ),
    # "who do I work with on pcm?": its people.
    (Intent.MEMBERS, r"\bwho (do|does|will|would) (i|we|you|\w+) (work|collaborate|team up) with\b", 4.0),
    # "what's the hold up?", "any holdups on pcm?": what blocks.
    (Intent.BLOCKED, r"\b(hold ?ups?|hang ?ups?)\b", 3.0),
    # "since when is uplift blocked?", "how long have we been stuck": a blocked project's time, not a date.
    (
        Intent.BLOCKED,
        r"\b(since when|how long|how many (days|weeks))\b.*"
        r"\b(blocked|stuck|at risk|on hold|held up|blockers?)\b",
        7.0,
    ),
    (
        Intent.BLOCKED,
        r"\bwhat (is|s|are) (stopping|preventing|slowing( down)?) (us|me|them|it|this|\w+)\b",
        3.0,
    ),
    # "what's left here?", "what remains on pcm": the open milestones.
    (
        Intent.NEXT_MILESTONE,
        r"\b(what (is|s|are) (left|remaining|still open|outstanding)|what remains)( (here|on|for|in|to do|"
        r"to deliver)\b|$)",
        2.5,
    ),
    # "is anyone on this project leaving?", "anyone leaving from pcm": people's last days.
    (Intent.LEAVING, r"\b(anyone|anybody|someone|people|who)( \w+){0,4} (leaving|leave)\b", 3.0),
)
_COMPILED_RULES = tuple((intent, re.compile(pattern), weight) for intent, pattern, weight in _RULES)


def rule_scores(text: str) -> dict[Intent, float]:
    """Score each intent by the phrase rules that match the question (weights add up per intent).

    Args:
        text: The normalised question.

    Returns:
        Intent → summed weight, only for intents with a matching rule.
    """
    scores: dict[Intent, float] = {}
    for intent, pattern, weight in _COMPILED_RULES:
        if pattern.search(text):
            scores[intent] = scores.get(intent, 0.0) + weight
    return scores


def _mask(words: Sequence[str], matches: Sequence[EntityMatch]) -> str:
    """The question with each name replaced by the placeholder the exemplars use for its kind."""
    placeholders = {
        "project": "the project",
        "person": "this person",
        "milestone": "the milestone",
        "discipline": "this field",
    }
    out: list[str] = []
    position = 0
    for match in sorted(matches, key=lambda m: m.start):
        out += words[position : match.start]
        out.append(placeholders[match.kind])
        position = match.end
    out += words[position:]
    return " ".join(out)


def decide(
    rules: Mapping[Intent, float],
    words: Sequence[str],
    matches: Sequence[EntityMatch],
    similarity: SimilarityFn | None,
) -> tuple[Intent, float, bool, list[Intent]]:
    """Pick the intent: decisive rules stand; otherwise rules and similarity together, or unsure.

    Args:
        rules: Rule scores after `adjust_for_entities`.
        words: The question's words without the date phrase.
        matches: The names found in `words` (sure ones are masked before asking `similarity`).
        similarity: The embedding second opinion; None means rules alone.

    Returns:
        The intent, the confidence (0..1), whether similarity took part, and every candidate intent,
        most likely first.
    """
    ranked_rules = sorted(rules.items(), key=lambda kv: (-kv[1], list(Intent).index(kv[0])))
    top_rule, top_score = ranked_rules[0] if ranked_rules else (Intent.SEARCH, 0.0)
    second_score = ranked_rules[1][1] if len(ranked_rules) > 1 else 0.0
    if top_score >= STRONG_RULE and top_score - second_score >= RULE_MARGIN:
        return top_rule, 0.9, False, [i for i, _ in ranked_rules]
    if similarity is None:
        if top_score >= STRONG_RULE and top_score > second_score:
            return top_rule, 0.65, False, [i for i, _ in ranked_rules]
        confidence = 0.45 if ranked_rules else 0.0
        return top_rule, confidence, False, [i for i, _ in ranked_rules]
    sims = dict(similarity(_mask(words, [m for m in matches if m.sure])))
    combined = {
        intent: sims.get(intent, 0.0) + 0.15 * rules.get(intent, 0.0)
        for intent in Intent
        if intent in sims or intent in rules
    }
    ranked = sorted(combined, key=lambda i: (-combined[i], list(Intent).index(i)))
    best_sim = sorted(sims.values(), reverse=True)
    sim_top = best_sim[0] if best_sim else 0.0
    sim_second = best_sim[1] if len(best_sim) > 1 else 0.0
    best = ranked[0]
    sim_leader = max(sims, key=lambda i: sims[i]) if sims else None
    if ranked_rules and top_score >= STRONG_RULE and best == top_rule:
        return best, 0.8, True, ranked
    if sim_top >= SIMILARITY_FLOOR and sim_leader == best and sim_top - sim_second >= SIMILARITY_MARGIN:
        return best, 0.7, True, ranked
    if not ranked_rules and sim_top < SIMILARITY_FLOOR:
        return Intent.SEARCH, 0.65, True, ranked
    return best, 0.45, True, ranked
